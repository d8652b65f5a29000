// Module RouterCore: sources land here.
