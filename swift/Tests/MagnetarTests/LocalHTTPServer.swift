// A real HTTP/1.1 server on a loopback port, for the breach check's online tests.
//
// Linux has no Network.framework, so this uses the BSD socket API directly (Glibc on
// Linux, Darwin on Apple platforms): one listening socket on 127.0.0.1 with a port the
// kernel picks, one thread accepting connections and answering them one at a time. The
// breach checker reaches it through `URLSessionTransport`, that is through URLSession
// and a real TCP connection, exactly as it reaches the public API.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What the server was asked: the request line's path and the headers (names lowercased).
struct RecordedRequest: Sendable {
    let method: String
    let path: String
    let headers: [String: String]
}

/// How the server answers one request.
enum ScriptedReply: Sendable {
    /// A complete response with this status, extra headers and body.
    case respond(status: Int, headers: [String: String], body: String)
    /// Read the request, then close the connection without sending a byte.
    case dropConnection
}

/// A one-thread HTTP server on `127.0.0.1:<port>` that answers each request with the next
/// scripted reply (the last one repeats) and records every request.
///
/// `@unchecked Sendable`: the mutable state (`replies`, `requests`, `stopped`) is only
/// touched with `lock` held; `listener` and `port` are immutable after `init`.
final class LocalHTTPServer: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var replies: [ScriptedReply]
    private var requests: [RecordedRequest] = []
    private var stopped = false
    private let finished = DispatchSemaphore(value: 0)

    /// Starts listening and serving at once.
    init(replies: [ScriptedReply]) throws {
        precondition(!replies.isEmpty)
        self.replies = replies
        let fd = try Self.tcpSocket()
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)  // port 0: the kernel picks a free one
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let code = errno
            close(fd)
            throw ServerError.system("bind/listen", code)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else {
            let code = errno
            close(fd)
            throw ServerError.system("getsockname", code)
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)

        let thread = Thread { [self] in
            self.serve()
            self.finished.signal()
        }
        thread.name = "LocalHTTPServer"
        thread.start()
    }

    /// `http://127.0.0.1:<port>`.
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Every request received so far, in order.
    var received: [RecordedRequest] { lock.locked { requests } }

    /// Stops accepting, waits for the serving thread to finish and closes the socket.
    /// (The serving thread holds the server, so call this: tests do it in a teardown.)
    func stop() {
        let first = lock.locked { () -> Bool in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        // `accept` does not return when another thread closes its socket (not on Linux):
        // wake it with a connection of our own, which the loop sees after `stopped`.
        if let wake = try? Self.connectToLoopback(port: port) {
            close(wake)
        }
        finished.wait()
        close(listener)
    }

    private func serve() {
        while true {
            let client = accept(listener, nil, nil)
            if lock.locked({ stopped }) {
                if client >= 0 { close(client) }
                return
            }
            guard client >= 0 else {
                if errno == EINTR { continue }
                return
            }
            handle(client)
            close(client)
        }
    }

    private func handle(_ client: Int32) {
        #if canImport(Darwin)
        var one: Int32 = 1
        setsockopt(client, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
        guard let request = Self.readRequest(client) else { return }
        let reply: ScriptedReply = lock.locked {
            requests.append(request)
            return replies.count > 1 ? replies.removeFirst() : replies[0]
        }
        switch reply {
        case .dropConnection:
            return  // the caller closes the socket: no status line, no bytes at all
        case let .respond(status, headers, body):
            let bodyBytes = Array(body.utf8)
            var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
            head += "Content-Type: text/plain\r\n"
            head += "Content-Length: \(bodyBytes.count)\r\n"
            head += "Connection: close\r\n"
            for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
                head += "\(name): \(value)\r\n"
            }
            head += "\r\n"
            Self.writeAll(client, Array(head.utf8) + bodyBytes)
        }
    }

    /// Reads up to the blank line that ends a GET request's head.
    private static func readRequest(_ client: Int32) -> RecordedRequest? {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        let end: [UInt8] = Array("\r\n\r\n".utf8)
        while data.count < 64 * 1024 {
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            data.append(contentsOf: buffer[0..<n])
            if containsSubsequence(data, end) { break }
        }
        let text = String(decoding: data, as: UTF8.self)
        var lines = text.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return RecordedRequest(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers)
    }

    private static func containsSubsequence(_ data: [UInt8], _ needle: [UInt8]) -> Bool {
        guard data.count >= needle.count else { return false }
        for start in 0...(data.count - needle.count) where data[start..<start + needle.count].elementsEqual(needle) {
            return true
        }
        return false
    }

    private static func writeAll(_ client: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(sendFlags)) }
            if n <= 0 { return }
            offset += n
        }
    }

    /// No SIGPIPE when the client went away first (Linux; Darwin has SO_NOSIGPIPE).
    #if canImport(Darwin)
    private static let sendFlags = 0
    #else
    private static let sendFlags = Int(MSG_NOSIGNAL)
    #endif

    /// A new TCP socket.
    private static func tcpSocket() throws -> Int32 {
        #if canImport(Darwin)
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #else
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #endif
        guard fd >= 0 else { throw ServerError.system("socket", errno) }
        return fd
    }

    /// 127.0.0.1:`port` (`port` in host byte order).
    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        #if canImport(Darwin)
        address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    private static func connectToLoopback(port: UInt16) throws -> Int32 {
        let fd = try tcpSocket()
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            throw ServerError.system("connect", code)
        }
        return fd
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 404: return "Not Found"
        case 429: return "Too Many Requests"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }

    enum ServerError: Error {
        case system(String, Int32)
    }
}
