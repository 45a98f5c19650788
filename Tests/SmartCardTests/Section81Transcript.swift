/// The PBOC debit card transcript of cards.md §8.1, copied verbatim (comments included) so the parser is tested
/// against exactly the bytes the reference gives. Parenthesised comments may span lines and contain hex; they are
/// removed before the hex is read.
enum Section81 {
    static let transcript = #"""
# 1. SELECT PPSE
> 00 A4 04 00 0E 32 50 41 59 2E 53 59 53 2E 44 44 46 30 31 00
< 6F 30 84 0E 32 50 41 59 2E 53 59 53 2E 44 44 46 30 31
        A5 1E BF 0C 1B 61 19 4F 08 A0 00 00 03 33 01 01 01
                          50 0A 50 42 4F 43 20 44 45 42 49 54   ("PBOC DEBIT")
                          87 01 01
  90 00

# 2. SELECT AID A000000333010101
> 00 A4 04 00 08 A0 00 00 03 33 01 01 01 00
< 6F 37 84 08 A0 00 00 03 33 01 01 01
        A5 2B 50 0A 50 42 4F 43 20 44 45 42 49 54
              87 01 01
              9F 38 0C 9F 66 04 9F 02 06 9F 37 04 5F 2A 02     (PDOL, 16 bytes of data)
              5F 2D 02 7A 68                                   ("zh")
              BF 0C 05 9F 4D 02 0B 0A                          (log: SFI 11, 10 recs)
  90 00

# 3. GET PROCESSING OPTIONS (TTQ 26000000, amount 0.01, UN 11223344, CNY)
> 80 A8 00 00 12 83 10 26 00 00 00 00 00 00 00 00 01 11 22 33 44 01 56 00
< 77 0E 82 02 7C 00 94 08 08 01 01 00 10 01 01 00 90 00
  (format-1 equivalent a reader must also accept:
   80 0A 7C 00 08 01 01 00 10 01 01 00 90 00)
  AFL = SFI 1 rec 1..1, SFI 2 rec 1..1

# 4. READ RECORD SFI 1 rec 1  (P2 = 1<<3 | 4 = 0C)
> 00 B2 01 0C 00
< 70 36 57 12 62 99 99 99 00 00 00 00 01 4D 49 12 22 00 00 00 00 0F
        5F 20 06 CD F5 D0 A1 B2 E2                            (name, GBK)
        9F 61 12 31 31 30 31 30 31 31 39 34 36 30 35 31 32 31 32 33 31
                                                              ("110101194605121231")
        9F 62 01 00                                           (ID type 00 = ID card)
  90 00

# 5. READ RECORD SFI 2 rec 1  (P2 = 2<<3 | 4 = 14)
> 00 B2 01 14 00
< 70 21 5A 0A 62 99 99 99 00 00 00 00 01 4F                  (PAN, F-padded)
        5F 24 03 49 12 31                                     (expiry 2049-12-31)
        5F 25 03 16 01 01                                     (effective 2016-01-01)
        5F 34 01 01
        5F 28 02 01 56
  90 00

# 6. GET DATA e-cash balance
> 80 CA 9F 79 00
< 9F 79 06 00 00 00 00 10 00 90 00                           (10.00 CNY)
"""#
}

/// One command and the response the card gives to it.
struct APDUExchange: Sendable, Equatable {
    var command: [UInt8]
    var response: [UInt8]
}

extension Section81 {
    /// The six exchanges of §8.1.
    static let exchanges: [APDUExchange] = parseTranscript(transcript)

    /// Parses `> command` / `< response` blocks: `#` lines and `( … )` comments (even across lines) are dropped,
    /// then every line made only of 2-digit hex tokens adds to the current command or response; prose lines are
    /// skipped.
    static func parseTranscript(_ text: String) -> [APDUExchange] {
        var withoutComments = ""
        var depth = 0
        for character in text {
            switch character {
            case "(": depth += 1
            case ")": depth = max(0, depth - 1)
            default: if depth == 0 { withoutComments.append(character) }
            }
        }
        var exchanges: [APDUExchange] = []
        var current: [UInt8] = []
        var inCommand = false
        func flush() {
            guard !current.isEmpty else { return }
            if inCommand {
                exchanges.append(APDUExchange(command: current, response: []))
            } else if !exchanges.isEmpty {
                exchanges[exchanges.count - 1].response += current
            }
            current = []
        }
        for rawLine in withoutComments.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = rawLine.trimmingCharacters(in: " \t")
            if line.hasPrefix("#") { continue }
            if line.hasPrefix(">") {
                flush()
                inCommand = true
                line.removeFirst()
            } else if line.hasPrefix("<") {
                flush()
                inCommand = false
                line.removeFirst()
            }
            let tokens = line.split(separator: " ")
            guard !tokens.isEmpty, tokens.allSatisfy({ $0.count == 2 && UInt8($0, radix: 16) != nil }) else { continue }
            current += tokens.map { UInt8($0, radix: 16)! }
        }
        flush()
        return exchanges
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
