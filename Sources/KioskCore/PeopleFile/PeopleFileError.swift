/// Why a demo people file was rejected. Nothing is imported when there is any problem.
///
/// Problems name the row and the field, never the value: a rejected ID number or PAN is personal data and must not
/// reach a terminal or a log. A row is the person's index in `people` (from 0) for a JSON file; for a CSV file the
/// description gives the spreadsheet's row number instead (the header is row 1, the first person row 2), see
/// ``numberedAsCSVRows()``.
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

        /// For a repeated identity: the row where it first appeared (same numbering as ``row``).
        public var sameAsRow: Int?
        /// Whether rows are described as CSV row numbers (`row + 2`) rather than `people` indexes.
        public var rowIsCSV = false

        public var description: String {
            guard let row else { return "\(field): \(reason)" }
            let why = sameAsRow.map { "same identity as \(name(ofRow: $0)); \(reason)" } ?? reason
            return rowIsCSV ? "\(name(ofRow: row)), column \(field): \(why)" : "\(name(ofRow: row)).\(field): \(why)"
        }

        private func name(ofRow row: Int) -> String { rowIsCSV ? "CSV row \(row + 2)" : "people[\(row)]" }
    }

    public var problems: [Problem]

    public init(problems: [Problem]) { self.problems = problems }

    /// The same problems, described by CSV row number (the header is row 1, so the person at index 0 is row 2), as a
    /// spreadsheet user counts them. For errors of a `.csv` people file.
    public func numberedAsCSVRows() -> PeopleFileError {
        PeopleFileError(problems: problems.map { problem in
            var problem = problem
            problem.rowIsCSV = true
            return problem
        })
    }

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
