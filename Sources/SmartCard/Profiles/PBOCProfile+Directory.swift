import Logging

/// Directory reading for ``PBOCProfile``: PPSE, then PSE (EMV Book 1 §12.2–12.3; cards.md §1.1).
extension PBOCProfile {
    /// One application template (`61`) of a directory.
    struct DirectoryEntry: Equatable {
        var aid: [UInt8]
        var label: String?
        /// Tag `87` b4–b1: 1 is the highest priority, 0 means none given (sorted last).
        var priority: UInt8

        init(template: BERTLV) {
            aid = template.child(.aid)?.value ?? []
            label = template.child(.applicationLabel).flatMap { CardText.decodePadded($0.value) }
            priority = (template.child(.applicationPriority)?.value.first ?? 0) & 0x0F
        }

        var sortKey: Int { priority == 0 ? 16 : Int(priority) }
    }

    /// The directory's application entries in priority order (stable for equal priorities): PPSE first, PSE when
    /// PPSE gives none. Empty when the card has neither or both fail to parse.
    func readDirectory(from channel: some CardChannel) async throws -> [DirectoryEntry] {
        var entries = try await readPPSE(from: channel)
        if entries.isEmpty { entries = try await readPSE(from: channel) }
        return entries.enumerated()
            .sorted { ($0.element.sortKey, $0.offset) < ($1.element.sortKey, $1.offset) }
            .map(\.element)
    }

    /// SELECT PPSE: entries of `6F/A5/BF0C/61`.
    func readPPSE(from channel: some CardChannel) async throws -> [DirectoryEntry] {
        let response = try await channel.transmit(.select(name: Self.ppseName))
        logger.debug("pboc select PPSE", metadata: ["kiosk.sw": "\(response.statusWord)"])
        guard response.statusWord.isSuccess else { return [] }
        do {
            let fci = try BERTLV.parseSingle(response.data, expectedTag: .fciTemplate)
            let discretionary = [fci].object(at: [.fciTemplate, .fciProprietaryTemplate, .fciIssuerDiscretionaryData])
            return Self.entries(in: discretionary?.children ?? [])
        } catch {
            logger.debug("pboc PPSE FCI unusable", metadata: ["kiosk.error": "\(error)"])
            return []
        }
    }

    /// SELECT PSE, then READ RECORD the directory SFI (`6F/A5/88`) from record 1 until SW ≠ 9000 (at most 32).
    func readPSE(from channel: some CardChannel) async throws -> [DirectoryEntry] {
        let response = try await channel.transmit(.select(name: Self.pseName))
        logger.debug("pboc select PSE", metadata: ["kiosk.sw": "\(response.statusWord)"])
        guard response.statusWord.isSuccess else { return [] }
        let sfi: UInt8
        do {
            let fci = try BERTLV.parseSingle(response.data, expectedTag: .fciTemplate)
            guard let value = [fci].object(at: [.fciTemplate, .fciProprietaryTemplate, .directorySFI])?.value,
                value.count == 1, (1...30).contains(value[0])
            else { return [] }
            sfi = value[0]
        } catch {
            logger.debug("pboc PSE FCI unusable", metadata: ["kiosk.error": "\(error)"])
            return []
        }
        var entries: [DirectoryEntry] = []
        for record in UInt8(1)...32 {
            let recordResponse = try await channel.transmit(.readRecord(sfi: sfi, record: record))
            guard recordResponse.statusWord.isSuccess else { break }
            do {
                let template = try BERTLV.parseSingle(recordResponse.data, expectedTag: .recordTemplate)
                entries += Self.entries(in: template.children)
            } catch {
                logger.debug(
                    "pboc PSE record unusable", metadata: ["kiosk.record": "\(record)", "kiosk.error": "\(error)"])
                break
            }
        }
        return entries
    }

    static func entries(in objects: [BERTLV]) -> [DirectoryEntry] {
        objects.filter { $0.tag == .applicationTemplate }
            .map(DirectoryEntry.init(template:))
            .filter { (5...16).contains($0.aid.count) }
    }
}
