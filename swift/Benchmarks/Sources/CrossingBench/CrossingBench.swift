// The Swift side of the crossing benchmark. Same inputs as the Rust side
// (bindings/uniffi/benches/crossing.rs): session `score` of a request whose IP changed,
// and a point read on a 10,000-row table.
//
// Each figure is the median (and the minimum) over 15 samples of the mean time per call
// within a sample of N back-to-back calls, after a warm-up; one thread, one task.

import Dispatch
import Foundation
import Magnetar

let chrome120 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Safari/537.36"
let rows: Int64 = 10_000
let pointRead = "SELECT v FROM t WHERE id = ?"

func context(_ ip: String) -> RequestContext {
    RequestContext(ip: ip, userAgent: chrome120, headers: [
        "Accept-Language": "en-US,en;q=0.9",
        "Accept-Encoding": "gzip, deflate, br",
    ])
}

struct Figure {
    let name: String
    let medianNs: Double
    let minNs: Double
}

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// Times `body` (which runs the call `n` times) over `samples` samples.
func measure(_ name: String, n: Int, samples: Int = 15, _ body: (Int) throws -> Void) rethrows -> Figure {
    try body(max(n / 10, 100))  // warm-up
    var perCall: [Double] = []
    for _ in 0..<samples {
        let start = now()
        try body(n)
        perCall.append(Double(now() - start) / Double(n))
    }
    perCall.sort()
    return Figure(name: name, medianNs: perCall[perCall.count / 2], minNs: perCall[0])
}

func measureAsync(_ name: String, n: Int, samples: Int = 15, _ body: (Int) async throws -> Void) async rethrows -> Figure {
    try await body(max(n / 10, 100))
    var perCall: [Double] = []
    for _ in 0..<samples {
        let start = now()
        try await body(n)
        perCall.append(Double(now() - start) / Double(n))
    }
    perCall.sort()
    return Figure(name: name, medianNs: perCall[perCall.count / 2], minNs: perCall[0])
}

/// Keeps results alive so the optimiser cannot drop the calls.
/// (Not `Sendable`: only the benchmark's one task touches it.)
final class Sink {
    var scores = 0.0
    var bytes = 0
}

@main
struct CrossingBench {
    static func main() async throws {
        try await run()
    }

    /// Off the main actor: the calls are measured from a plain task, as an app's
    /// background work would make them.
    nonisolated static func run() async throws {
        let sink = Sink()
        let previous = context("203.0.113.7")
        let current = context("198.51.100.2")
        let policy = ScoringPolicy()
        var figures: [Figure] = []

        // The smallest call with a result to lift: no argument, one short string back.
        figures.append(measure("magnetarVersion(), sync", n: 50_000) { n in
            for _ in 0..<n {
                sink.bytes += magnetarVersion().utf8.count
            }
        })
        figures.append(try measure("score, sync", n: 20_000) { n in
            for _ in 0..<n {
                sink.scores += try scoreRequest(previous: previous, current: current, policy: policy).score
            }
        })
        // The cheap form: contexts prepared once per request (passed by pointer), a
        // scorer made once.
        let scorer = try RiskScorer(policy: policy)
        let preparedPrevious = try PreparedRequestContext(context: previous)
        let preparedCurrent = try PreparedRequestContext(context: current)
        figures.append(measure("score, prepared contexts, sync", n: 50_000) { n in
            for _ in 0..<n {
                sink.scores += scorer.score(previous: preparedPrevious, current: preparedCurrent).score
            }
        })
        figures.append(measure("decide, prepared contexts, sync", n: 50_000) { n in
            for _ in 0..<n {
                sink.bytes += scorer.decide(previous: preparedPrevious, current: preparedCurrent) == .allow ? 0 : 1
            }
        })
        // What preparing a context costs (once per request).
        figures.append(try measure("prepare a context, sync", n: 20_000) { n in
            for _ in 0..<n {
                sink.bytes += try PreparedRequestContext(context: current) === preparedCurrent ? 1 : 0
            }
        })
        // `scoreRequest` has no async variant (it is CPU-cheap and meant to be called
        // inline). Called from async code it costs the same as above; hopped to a
        // background queue the way Magnetar's async variants run their calls, it costs:
        figures.append(try await measureAsync("score, hopped to a queue (async)", n: 5_000) { n in
            for _ in 0..<n {
                let assessment = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Assessment, Error>) in
                    DispatchQueue.global(qos: .userInitiated).async {
                        continuation.resume(with: Result { try scoreRequest(previous: previous, current: current, policy: policy) })
                    }
                }
                sink.scores += assessment.score
            }
        })

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("crossing-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let pool = try Pool.open(path: dir.appendingPathComponent("bench.db").path, config: PoolConfig())
        _ = try await pool.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
        _ = try await pool.executeMany(
            sql: "INSERT INTO t (id, v) VALUES (?, ?)",
            paramSets: (0..<rows).map { [.integer($0), .text(String(format: "value-%08lld", $0))] }
        )

        var id: Int64 = 0
        figures.append(try measure("pool point read, sync", n: 20_000) { n in
            for _ in 0..<n {
                id = (id + 7919) % rows
                let result: QueryResult = try pool.read(sql: pointRead, params: [.integer(id)])
                sink.bytes += result.rows[0][0].textValue?.utf8.count ?? 0
            }
        })
        figures.append(try measure("pool point read, readValue, sync", n: 20_000) { n in
            for _ in 0..<n {
                id = (id + 7919) % rows
                let value = try pool.readValue(sql: pointRead, params: [.integer(id)])
                sink.bytes += value?.textValue?.utf8.count ?? 0
            }
        })
        figures.append(try await measureAsync("pool point read, readValue, async", n: 5_000) { n in
            for _ in 0..<n {
                id = (id + 7919) % rows
                let value = try await pool.readValue(sql: pointRead, params: [.integer(id)])
                sink.bytes += value?.textValue?.utf8.count ?? 0
            }
        })
        figures.append(try await measureAsync("pool point read, async", n: 5_000) { n in
            for _ in 0..<n {
                id = (id + 7919) % rows
                let result: QueryResult = try await pool.read(sql: pointRead, params: [.integer(id)])
                sink.bytes += result.rows[0][0].textValue?.utf8.count ?? 0
            }
        })
        try await pool.close(timeout: 5)

        print("Swift → Rust crossing (Magnetar \(magnetarVersion())), ns per call:")
        for figure in figures {
            let median = String(format: "%8.0f", figure.medianNs)
            let min = String(format: "%8.0f", figure.minNs)
            print("  \(figure.name.padding(toLength: 40, withPad: " ", startingAt: 0)) median \(median)   min \(min)")
        }
        // Printed so that the work cannot be optimised away.
        print("  (checksum \(Int(sink.scores)) \(sink.bytes))")
    }
}
