/// Why a demo people file was rejected. Nothing is imported when there is any problem.
///
/// Problems name the row (its index in `people`, from 0) and the field, never the value: a rejected ID number or
/// PAN is personal data and must not reach a terminal or a log.
public struct PeopleFileError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        /// Index of the person in `people` (from 0), or `nil` for a problem with the file itself.
        public var row: Int?
        /// The field, e.g. `idNumber`, `nat.sampledAt`, or `file`.
        public var field: String
        /// What is wrong and, where useful, what to do.
        public var reason: String

        public init(row: Int?, field: String, reason: String) {
            self.row = row
            self.field = field
            self.reason = reason
        }

        public var description: String {
            if let row { "people[\(row)].\(field): \(reason)" } else { "\(field): \(reason)" }
        }
    }

    public var problems: [Problem]

    public init(problems: [Problem]) { self.problems = problems }

    /// The rows with at least one problem, ascending.
    public var badRows: [Int] { Array(Set(problems.compactMap(\.row))).sorted() }

    public var description: String {
        let header =
            badRows.isEmpty
            ? "people file rejected:"
            : "people file rejected: \(badRows.count) bad row(s), nothing imported:"
        return ([header] + problems.map { "  " + $0.description }).joined(separator: "\n")
    }
}
