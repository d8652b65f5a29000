// machat-ws-gateway: terminates WebSocket chat clients and relays to machat-router.
import GatewayCore

GatewayCommand.main(webSocket: true)
