// Module WebSocket: sources land here.
