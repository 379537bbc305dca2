// Hand-written: MagnetarError as a Swift error users can show.

import Foundation

extension MagnetarError: LocalizedError {
    /// Core's message: what was wrong, never a secret.
    public var errorDescription: String? { message() }
}

extension MagnetarError: CustomStringConvertible {
    /// `kind: message`, for logs (for example `wrong_key: wrong key: ...`).
    public var description: String { "\(kind()): \(message())" }
}
