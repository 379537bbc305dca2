// Hand-written: Swift conveniences for SQL values, parameters and results.

import Foundation

extension SqlValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) { self = .integer(value) }
}

extension SqlValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) { self = .real(value) }
}

extension SqlValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
}

extension SqlValue: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) { self = .null }
}

extension SqlValue {
    /// The integer, or `nil` for any other storage class.
    public var integerValue: Int64? {
        if case let .integer(v) = self { return v }
        return nil
    }

    /// The float, or `nil` for any other storage class.
    public var realValue: Double? {
        if case let .real(v) = self { return v }
        return nil
    }

    /// The text, or `nil` for any other storage class.
    public var textValue: String? {
        if case let .text(v) = self { return v }
        return nil
    }

    /// The bytes, or `nil` for any other storage class.
    public var blobValue: Data? {
        if case let .blob(v) = self { return v }
        return nil
    }

    /// Whether this is SQL NULL.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

extension Statement {
    /// A statement with values bound in order: `Statement("INSERT INTO t VALUES (?, ?)", 1, "a")`.
    public init(_ sql: String, _ values: SqlValue...) {
        self.init(sql: sql, params: .positional(values))
    }

    /// A statement with values bound by name: `Statement("... WHERE id = :id", ["id": 7])`.
    public init(_ sql: String, named values: [String: SqlValue]) {
        self.init(sql: sql, params: .named(values))
    }
}

extension QueryResult {
    /// The rows as dictionaries keyed by column name.
    public var namedRows: [[String: SqlValue]] {
        rows.map { Dictionary(zip(columns, $0), uniquingKeysWith: { first, _ in first }) }
    }
}
