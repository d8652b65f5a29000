import Foundation

/// Tokens minted and checked by PyJWT, the independent JWT implementation
/// our verifier and signer are held against.
enum PyJWT {
    /// Mints one token per spec. A spec is a JSON object: `payload`, `key`
    /// (a string, or null with `alg` "none"), optional `alg` (default HS256)
    /// and `headers`. A spec with `raw_header` and `raw_payload` (JSON text)
    /// instead is signed by hand with HMAC-SHA256, for tokens PyJWT would not
    /// produce (duplicate names, a lying `alg`).
    static func mint(_ specs: [[String: Any]]) throws -> [String] {
        let script = #"""
            import base64, hashlib, hmac, json, sys
            import jwt
            def b64(data):
                return base64.urlsafe_b64encode(data).decode().rstrip("=")
            tokens = []
            for spec in json.load(sys.stdin):
                if "raw_header" in spec:
                    signing_input = b64(spec["raw_header"].encode()) + "." + b64(spec["raw_payload"].encode())
                    mac = hmac.new(spec["key"].encode(), signing_input.encode(), hashlib.sha256).digest()
                    tokens.append(signing_input + "." + b64(mac))
                else:
                    tokens.append(jwt.encode(spec["payload"], spec["key"], algorithm=spec.get("alg", "HS256"),
                                             headers=spec.get("headers")))
            print(json.dumps(tokens))
            """#
        let input = String(decoding: try JSONSerialization.data(withJSONObject: specs), as: UTF8.self)
        let output = try Python.runPyJWT(script, input: input)
        guard let tokens = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String] else {
            throw Python.Failure(description: "PyJWT printed no token list: \(output)")
        }
        return tokens
    }

    /// Decodes each token with `jwt.decode(token, key, algorithms=["HS256"])`
    /// (signature and times checked by PyJWT, `exp` required) and returns the
    /// claims, or the PyJWT exception name for a refused token.
    static func decode(_ tokens: [String], key: String) throws -> [Result<[String: Any], PyJWTRefusal>] {
        let script = #"""
            import json, sys
            import jwt
            key = sys.argv[1]
            results = []
            for token in json.load(sys.stdin):
                try:
                    claims = jwt.decode(token, key, algorithms=["HS256"], options={"require": ["exp", "sub"]})
                    results.append({"claims": claims})
                except jwt.exceptions.PyJWTError as error:
                    results.append({"error": type(error).__name__})
            print(json.dumps(results))
            """#
        let input = String(decoding: try JSONSerialization.data(withJSONObject: tokens), as: UTF8.self)
        let output = try Python.runPyJWT(script, arguments: [key], input: input)
        guard let results = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]] else {
            throw Python.Failure(description: "PyJWT printed no result list: \(output)")
        }
        return results.map { result in
            if let claims = result["claims"] as? [String: Any] { return .success(claims) }
            return .failure(PyJWTRefusal(name: result["error"] as? String ?? "?"))
        }
    }
}

/// The PyJWT exception a token was refused with.
struct PyJWTRefusal: Error, Equatable {
    let name: String
}
