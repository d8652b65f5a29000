// Module GatewayCore: sources land here.
