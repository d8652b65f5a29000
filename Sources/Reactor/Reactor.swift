// Module Reactor: sources land here.
