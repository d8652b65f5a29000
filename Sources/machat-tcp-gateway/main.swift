// machat-tcp-gateway: terminates TCP chat clients and relays to machat-router.
import GatewayCore

GatewayCommand.main(webSocket: false)
