// Module RouterProtocol: sources land here.
