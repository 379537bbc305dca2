// Hand-written: the breach check's default transport, on URLSession.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The breach check's HTTP transport on URLSession; `BreachChecker(config:)` uses it by
/// default.
///
/// Magnetar's core calls `get(url:headers:)` synchronously, from the thread running
/// `BreachChecker.check`, and needs the response before it can answer. This transport
/// therefore starts a data task and blocks the calling thread on a semaphore until the
/// task completes. That is safe because the thread is never the main thread when you
/// use the `async` `check` (it runs on Magnetar's background queue, see `Blocking`);
/// calling the synchronous `check` from the main thread would freeze the UI for up to
/// `timeout`, so this transport refuses to run there.
///
/// Redirects are not followed (a 3xx is returned to core as a response), nothing is
/// cached by URLSession (core has its own cache), and no cookies are sent or stored.
public final class URLSessionTransport: HttpTransport, Sendable {
    // Checked `Sendable`: a final class whose stored properties are immutable and
    // themselves `Sendable` (URLSession is thread-safe and declared so by Foundation).
    private let session: URLSession
    private let timeout: TimeInterval

    /// A transport with its own ephemeral session; `timeout` bounds each request.
    public init(timeout: TimeInterval = 10) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        self.session = URLSession(
            configuration: configuration,
            delegate: NoRedirects(),
            delegateQueue: nil
        )
        self.timeout = timeout
    }

    deinit {
        session.finishTasksAndInvalidate()
    }

    public func get(url: String, headers: [String: String]) throws -> HttpResponse {
        if Thread.isMainThread {
            throw TransportFailure.Other(
                message: "URLSessionTransport would block the main thread; use the async BreachChecker.check"
            )
        }
        guard let requestURL = URL(string: url) else {
            throw TransportFailure.Other(message: "not a valid URL: \(url)")
        }
        var request = URLRequest(url: requestURL, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = "GET"
        for (name, value) in headers {
            request.setValue(value, forHTTPHeaderField: name)
        }

        let done = DispatchSemaphore(value: 0)
        let box = OutcomeBox()
        let task = session.dataTask(with: request) { data, response, error in
            box.outcome = Self.outcome(data: data, response: response, error: error)
            done.signal()
        }
        task.resume()
        done.wait()
        return try box.outcome.get()
    }

    private static func outcome(data: Data?, response: URLResponse?, error: Error?) -> Result<HttpResponse, TransportFailure> {
        if let error = error {
            return .failure(classify(error))
        }
        guard let http = response as? HTTPURLResponse else {
            return .failure(.Other(message: "the response is not an HTTP response"))
        }
        guard let status = UInt16(exactly: http.statusCode) else {
            return .failure(.Other(message: "HTTP status \(http.statusCode) is out of range"))
        }
        return .success(HttpResponse(
            status: status,
            retryAfter: http.value(forHTTPHeaderField: "Retry-After"),
            body: String(decoding: data ?? Data(), as: UTF8.self)
        ))
    }

    private static func classify(_ error: Error) -> TransportFailure {
        guard let urlError = error as? URLError else {
            return .Other(message: error.localizedDescription)
        }
        switch urlError.code {
        case .timedOut:
            return .Timeout(message: urlError.localizedDescription)
        case .cannotFindHost, .cannotConnectToHost, .dnsLookupFailed, .networkConnectionLost,
             .notConnectedToInternet, .secureConnectionFailed, .serverCertificateUntrusted,
             .serverCertificateHasBadDate, .serverCertificateNotYetValid,
             .serverCertificateHasUnknownRoot, .clientCertificateRejected:
            return .Connect(message: urlError.localizedDescription)
        default:
            return .Other(message: urlError.localizedDescription)
        }
    }
}

extension TransportFailure: LocalizedError {
    /// What went wrong, as core will report it.
    public var errorDescription: String? { message() }
}

/// The result of one data task.
///
/// `@unchecked Sendable`, and why that is sound: `outcome` is written exactly once, by
/// the data task's completion handler, *before* it signals the semaphore, and read only
/// by the thread that created the box, *after* `wait()` returns. A semaphore signal
/// happens-before the wait it releases, so the write and the read never overlap, and no
/// other code can reach the (private, per-request) box.
private final class OutcomeBox: @unchecked Sendable {
    var outcome: Result<HttpResponse, TransportFailure> = .failure(.Other(message: "no response"))
}

/// Refuses every redirect, so a 3xx reaches core as a response and no second request
/// is ever sent.
///
/// `@unchecked Sendable` only because its superclass `NSObject` is not `Sendable`: the
/// class is final and has no stored properties at all, so there is no state to race on.
private final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(
        _ session: URLSession,
        task: URLSessionTask,
        willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest,
        completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}
