@preconcurrency import Glibc
import Foundation
import Reactor

/// A real nginx (Debian's /usr/sbin/nginx) in front of MaChat for one test:
/// a fresh temporary directory with a self-signed certificate, the shipped
/// `contrib/nginx` files with their placeholders filled in, nginx in the
/// foreground on free 127.0.0.1 ports. Nothing needs root; `stop()` or
/// deinit leaves no process and no file behind.
final class NginxProcess {
    static let executable = "/usr/sbin/nginx"
    static let streamModule = "/usr/lib/nginx/modules/ngx_stream_module.so"
    static var isAvailable: Bool {
        access(executable, X_OK) == 0 && access(streamModule, R_OK) == 0 && access("/usr/bin/openssl", X_OK) == 0
    }

    /// The shipped configuration files.
    static let contrib = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("contrib/nginx").path

    let directory: String
    /// The self-signed certificate, which clients use as their CA.
    var certificate: String { "\(directory)/cert.pem" }
    private var process: PipedProcess?

    /// Starts nginx with `http` files included in its http block and
    /// `stream` files in its stream block, each the shipped file with every
    /// `@@NAME@@` replaced from `values` (CERTIFICATE and CERTIFICATE_KEY
    /// are filled in here). Waits until every port in `ports` accepts.
    init(http: [String], stream: [String], values: [String: String], ports: [UInt16]) throws {
        var template = Array("/tmp/machat-nginx-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError(description: "mkdtemp: errno \(errno)") }
        directory = String(cString: made)
        // nginx started as root runs its workers as nobody; they only need
        // to reach their temporary directories in here.
        chmod(directory, 0o755)
        do {
            try makeCertificate()
            var substitutions = values
            substitutions["CERTIFICATE"] = certificate
            substitutions["CERTIFICATE_KEY"] = "\(directory)/key.pem"
            for name in http + stream {
                var text = try String(contentsOfFile: "\(Self.contrib)/\(name)", encoding: .utf8)
                for (key, value) in substitutions { text = text.replacingOccurrences(of: "@@\(key)@@", with: value) }
                guard !text.contains("@@") else { throw HarnessError(description: "\(name): a placeholder was left: \(text)") }
                try text.write(toFile: "\(directory)/\(name)", atomically: false, encoding: .utf8)
            }
            let main = """
                load_module \(Self.streamModule);
                worker_processes 1;
                events { worker_connections 1024; }
                http {
                    access_log \(directory)/access.log;
                    client_body_temp_path \(directory)/client_body;
                    proxy_temp_path \(directory)/proxy;
                    fastcgi_temp_path \(directory)/fastcgi;
                    uwsgi_temp_path \(directory)/uwsgi;
                    scgi_temp_path \(directory)/scgi;
                \(http.map { "    include \(directory)/\($0);" }.joined(separator: "\n"))
                }
                stream {
                \(stream.map { "    include \(directory)/\($0);" }.joined(separator: "\n"))
                }

                """
            try main.write(toFile: "\(directory)/nginx.conf", atomically: false, encoding: .utf8)
            let process = try PipedProcess(
                executable: Self.executable,
                arguments: [
                    "-p", directory, "-c", "\(directory)/nginx.conf", "-g",
                    "daemon off; pid \(directory)/nginx.pid; error_log \(directory)/error.log;",
                ])
            self.process = process
            let ready = MachatProcess.wait(timeout: 10) {
                ports.allSatisfy { port in
                    guard let fd = try? Socket.connectTCP(try SocketAddress.resolve("127.0.0.1:\(port)")[0]) else { return false }
                    fd.close()
                    return true
                }
            }
            guard ready, process.waitForExit(timeout: 0) == nil else {
                throw HarnessError(
                    description: "nginx did not start: \(process.errorOutput)\n\(MachatProcess.read("\(directory)/error.log"))")
            }
        } catch {
            stop()
            throw error
        }
    }

    deinit {
        stop()
    }

    /// nginx's error log so far.
    var errorLog: String { MachatProcess.read("\(directory)/error.log") }

    /// Stops nginx (SIGTERM: the master stops its workers and exits), then
    /// removes the directory.
    func stop() {
        if let process {
            kill(process.pid, SIGTERM)
            if process.waitForExit(timeout: 10) == nil {
                for worker in MachatProcess.processes() where worker.ppid == process.pid { kill(worker.pid, SIGKILL) }
                kill(process.pid, SIGKILL)
                _ = process.waitForExit(timeout: 5)
            }
            self.process = nil
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func makeCertificate() throws {
        let openssl = try PipedProcess(
            executable: "/usr/bin/openssl",
            arguments: [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj",
                "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", "\(directory)/key.pem",
                "-out", certificate,
            ])
        openssl.closeInput()
        guard PipedProcess.exitCode(openssl.waitForExit(timeout: 30)) == 0 else {
            throw HarnessError(description: "openssl req failed: \(openssl.errorOutput)")
        }
    }

    /// A free TCP port on 127.0.0.1 (bound and released; nginx binds it next).
    static func freePort() throws -> UInt16 {
        let fd = try Socket.listenTCP(try SocketAddress.resolve("127.0.0.1:0")[0])
        defer { fd.close() }
        return try Socket.localAddress(fd).port
    }
}
