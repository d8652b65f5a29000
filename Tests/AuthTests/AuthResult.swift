@testable import Auth

/// Short ways to look at a verification or admission result in expectations.
extension Result where Failure == AuthError {
    var failureMessage: String? {
        if case .failure(let error) = self { return error.clientMessage }
        return nil
    }

    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}
