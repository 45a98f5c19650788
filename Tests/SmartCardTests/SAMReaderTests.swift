import Foundation
import KioskCore
import KioskTestSupport
import SmartCard
import Testing
import VirtualCard

#if canImport(Glibc)
import Glibc
#endif

/// The SAM reader end to end through a real pseudo-terminal: the reader opens the replica like a `/dev/ttyUSB*`,
/// ``SAMModuleEmulator`` plays the module on the primary. Timeouts are generous; measured times are printed.
@Suite struct SAMReaderTests {
    @Test func readsSection8_3EndToEnd() async throws {
        let rig = try SAMRig(card: nil)
        #expect(await rig.log.next { $0.isModuleReady } != nil)
        #expect(rig.reader.health.state == .ready)
        #expect(rig.reader.health.kind == .samReader)
        rig.emulator.insert(.wangXiaoce)
        let event = try #require(await rig.log.next { $0.cardData != nil })
        let received = ContinuousClock.now
        let data = try #require(event.cardData)
        #expect(data.layout == .residentID)
        #expect(data.name == "王小测")
        #expect(data.number == "110101194605121231")
        #expect(data.isNumberValid)
        #expect(data.sex == .male)
        #expect(data.ethnicity?.name == "汉")
        #expect(data.birthDate == CalendarDate(year: 1946, month: 5, day: 12))
        #expect(data.address == "北京市东城区测试胡同1号")
        #expect(data.issuingAuthority == "北京市公安局东城分局")
        #expect(data.validFrom == CalendarDate(year: 2016, month: 1, day: 1))
        #expect(data.validTo == .longTerm("长期"))
        #expect(data.identities().first?.isValidated == true)
        let commands = rig.emulator.receivedCommands
        let read = try #require(commands.last { $0.command == .readText })
        if case .cardRead(_, let foundAt) = event {
            print(
                "SAM pty: find→cardRead \(foundAt.duration(to: received)), "
                    + "read command→event \(read.at.duration(to: received))")
        }
        #expect(rig.emulator.count(of: .selectCard) == 1)
    }

    @Test func aReadPacedAt115200BaudTakesItsWireTime() async throws {
        let rig = try SAMRig(card: nil)
        rig.emulator.pacing = .b115200
        #expect(await rig.log.next { $0.isModuleReady } != nil)
        rig.emulator.insert(.wangXiaoce)
        let event = try #require(await rig.log.next { $0.cardData != nil })
        let received = ContinuousClock.now
        let read = try #require(rig.emulator.receivedCommands.last { $0.command == .readText })
        if case .cardRead(_, let foundAt) = event {
            print(
                "SAM pty paced at 115200: find→cardRead \(foundAt.duration(to: received)), "
                    + "read command→event \(read.at.duration(to: received)) "
                    + "(wire time of 1295 bytes \(SerialSpeed.b115200.transferTime(byteCount: 1295)))")
        }
        #expect(read.at.duration(to: received) >= .milliseconds(100))
    }

    @Test func doesNotReReadACardThatStaysAndReportsItsRemoval() async throws {
        let rig = try SAMRig()
        #expect(await rig.log.next { $0.cardData != nil } != nil)
        // Many polls with the card in the field: finds go on, no second select or read.
        let finds = rig.emulator.count(of: .findCard)
        while rig.emulator.count(of: .findCard) < finds + 10 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(rig.emulator.count(of: .readText) == 1)
        #expect(rig.emulator.count(of: .selectCard) == 1)
        #expect(!rig.log.all.contains { $0.isCardRemoved })
        rig.emulator.removeCard()
        #expect(await rig.log.next { $0.isCardRemoved } != nil)
        // The next tap is read again.
        rig.emulator.insert(.wangXiaoce)
        #expect(await rig.log.next { $0.cardData != nil } != nil)
        #expect(rig.emulator.count(of: .readText) == 2)
        #expect(rig.log.all.filter(\.isCardEvent).map(\.description).count == 3)
    }

    @Test func aCardTakenAwayMidReadIsAFailedReadThenRemoved() async throws {
        let rig = try SAMRig(card: nil)
        #expect(await rig.log.next { $0.isModuleReady } != nil)
        rig.emulator.takeCardAwayDuringNextRead()
        rig.emulator.insert(.wangXiaoce)
        let failure = try #require(await rig.log.next { $0.readFailure != nil }?.readFailure)
        #expect(failure.step == .read)
        #expect(failure.reason == .module(.readFailed))
        #expect(failure.guidance == .tapAgain)
        #expect(await rig.log.next { $0.isCardRemoved } != nil)
        #expect(!rig.log.all.contains { $0.cardData != nil })
        // Back to polling: a new tap reads.
        rig.emulator.insert(.wangXiaoce)
        #expect(await rig.log.next { $0.cardData != nil } != nil)
    }

    @Test func aCorruptReplyIsDroppedAndTheNextPollReads() async throws {
        let rig = try SAMRig(card: nil)
        #expect(await rig.log.next { $0.isModuleReady } != nil)
        rig.emulator.corruptNextReply(to: .readText)
        rig.emulator.insert(.wangXiaoce)
        let data = try #require(await rig.log.next { $0.cardData != nil }?.cardData)
        #expect(data.number == "110101194605121231")
        #expect(rig.emulator.count(of: .readText) == 2)
        #expect(!rig.log.all.contains { $0.readFailure != nil })
        // A corrupt find reply is just a lost poll.
        rig.emulator.corruptNextReply(to: .findCard)
        let finds = rig.emulator.count(of: .findCard)
        while rig.emulator.count(of: .findCard) < finds + 3 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(!rig.log.all.contains { $0.isCardRemoved || $0.isModuleLost })
    }

    @Test func repliesSplitIntoManySmallWritesStillRead() async throws {
        let rig = try SAMRig(card: nil) { $0.commandTimeout = .seconds(2) }
        rig.emulator.replyChunkSize = 5
        rig.emulator.replyChunkDelay = .milliseconds(1)
        #expect(await rig.log.next { $0.isModuleReady } != nil)
        rig.emulator.insert(.wangXiaoce)
        #expect(await rig.log.next { $0.cardData != nil }?.cardData?.name == "王小测")
    }

    @Test func allFourLayoutsReadThroughThePty() async throws {
        let rig = try SAMRig(card: nil)
        let cards: [(SAMCardImage, IDCardLayout, IdentityKind)] = [
            (.wangXiaoce, .residentID, .residentID),
            (.residencePermit(
                name: "陈测试", sex: "2", birthDate: "19940823", address: "北京市东城区测试路2号",
                number: "810000199408230021", authority: "北京市公安局东城分局", validFrom: "20200101",
                validTo: "20250101", travelPermitNumber: "H12345678", issueCount: "01"), .residencePermit,
             .residencePermit),
            (.foreignPermanentResident2017(
                englishName: "SMITH, JOHN", sex: "1", number: "USA310055031516", nationality: "USA",
                chineseName: "史密斯", validFrom: "20170601", validTo: "20270601", birthDate: "19550315",
                acceptingAuthorityCode: "3100"), .foreignPermanentResident2017, .foreignPermanentResident),
            (.foreignPermanentResident2023(
                chineseName: "汗测试", sex: "2", birthDate: "19800101", englishName: "KHAN, TEST",
                number: "931586198001010028", validFrom: "20230101", validTo: "20330101", nationality: "PAK"),
             .foreignPermanentResident2023, .foreignPermanentResident),
        ]
        for (card, layout, kind) in cards {
            rig.emulator.insert(card)
            let data = try #require(await rig.log.next { $0.cardData != nil }?.cardData)
            #expect(data.layout == layout)
            #expect(data.identities().first?.kind == kind)
            #expect(data.identities().first?.isValidated == true)
            rig.emulator.removeCard()
            #expect(await rig.log.next { $0.isCardRemoved } != nil)
        }
    }

    @Test func aModuleThatStopsAnsweringIsLostThenRecovers() async throws {
        let rig = try SAMRig(card: nil) { $0.commandTimeout = .milliseconds(100) }
        #expect(await rig.log.next { $0.isModuleReady } != nil)
        rig.emulator.isSilent = true
        let started = ContinuousClock.now
        #expect(await rig.log.next { $0.isModuleLost } != nil)
        print("SAM pty: silent module reported lost after \(started.duration(to: .now))")
        guard case .failing = rig.reader.health.state else {
            Issue.record("health \(rig.reader.health) should be failing")
            return
        }
        // It keeps trying (closing and reopening the device) without reporting the loss again.
        let finds = rig.emulator.count(of: .findCard)
        while rig.emulator.count(of: .findCard) < finds + 6 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(rig.log.all.filter(\.isModuleLost).count == 1)
        rig.emulator.isSilent = false
        #expect(await rig.log.next { $0.isModuleReady } != nil)
        #expect(rig.reader.health.state == .ready)
        rig.emulator.insert(.wangXiaoce)
        #expect(await rig.log.next { $0.cardData != nil } != nil)
    }

    @Test func aModuleLostWhileACardIsInTheFieldEndsThePresenceFirst() async throws {
        let rig = try SAMRig { $0.commandTimeout = .milliseconds(100) }
        #expect(await rig.log.next { $0.cardData != nil } != nil)
        rig.emulator.isSilent = true
        // The card that was read is reported removed before the module is reported lost.
        #expect(await rig.log.next { $0.isCardRemoved || $0.isModuleLost }?.isCardRemoved == true)
        #expect(await rig.log.next { $0.isModuleLost } != nil)
    }

    @Test func anUnpluggedDeviceIsReopenedWhenItComesBack() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sam-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let link = directory.appendingPathComponent("ttySAM").path

        // Not plugged in yet: absent, no events.
        let reader = SAMReader(configuration: SAMRig.configuration(path: link))
        let log = SAMEventLog(reader.events)
        reader.start()
        defer { reader.stop() }
        try await Task.sleep(for: .milliseconds(100))
        #expect(reader.health.state == .absent)
        #expect(log.all.isEmpty)

        // Plugged in (the udev symlink appears).
        let first = try PseudoTerminal()
        let firstModule = SAMModuleEmulator(pseudoTerminal: first, card: nil)
        firstModule.start()
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: first.replicaPath)
        #expect(await log.next { $0.isModuleReady } != nil)
        firstModule.insert(.wangXiaoce)
        #expect(await log.next { $0.cardData != nil } != nil)

        // Unplugged: the pty goes away under the open reader, then the link.
        firstModule.stop()
        first.close()
        try FileManager.default.removeItem(atPath: link)
        #expect(await log.next { $0.isCardRemoved || $0.isModuleLost }?.isCardRemoved == true)
        #expect(await log.next { $0.isModuleLost } != nil)
        try await Task.sleep(for: .milliseconds(50))
        #expect(reader.health.state == .absent)

        // Plugged in again, as a different pty behind the same path.
        let second = try PseudoTerminal()
        defer { second.close() }
        let secondModule = SAMModuleEmulator(pseudoTerminal: second, card: .wangXiaoce)
        secondModule.start()
        defer { secondModule.stop() }
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: second.replicaPath)
        #expect(await log.next { $0.isModuleReady } != nil)
        #expect(await log.next { $0.cardData != nil } != nil)
        #expect(reader.health.state == .ready)
    }

    @Test func stoppingEndsABlockedReadPromptly() async throws {
        // A module that never answers and a 30 s command timeout: the thread sits in poll() on the replica.
        let rig = try SAMRig(card: nil) { $0.commandTimeout = .seconds(30) }
        rig.emulator.isSilent = true
        while rig.emulator.count(of: .findCard) < 1 { try await Task.sleep(for: .milliseconds(5)) }
        try await Task.sleep(for: .milliseconds(20))
        let started = ContinuousClock.now
        rig.reader.stop()
        await rig.reader.waitUntilStopped()
        let took = started.duration(to: .now)
        print("SAM pty: stop while blocked in a read took \(took)")
        #expect(took < .seconds(10))  // "does not hang", not a speed limit
        #expect(rig.reader.isStopped)
        #expect(await rig.log.waitUntilFinished())
    }

    @Test func cancellingRunStopsTheReader() async throws {
        let terminal = try PseudoTerminal()
        defer { terminal.close() }
        let emulator = SAMModuleEmulator(pseudoTerminal: terminal, card: nil)
        emulator.start()
        defer { emulator.stop() }
        let reader = SAMReader(configuration: SAMRig.configuration(path: terminal.replicaPath))
        let log = SAMEventLog(reader.events)
        let task = Task { await reader.run() }
        #expect(await log.next { $0.isModuleReady } != nil)
        task.cancel()
        await task.value
        #expect(reader.isStopped)
        #expect(await log.waitUntilFinished())
    }
}

/// The serial port itself on a pty and on paths that are not serial devices.
@Suite struct SAMSerialPortTests {
    @Test func readsWritesAndTimesOutOnAPty() throws {
        let terminal = try PseudoTerminal()
        defer { terminal.close() }
        let port = try SerialPort(path: terminal.replicaPath, speed: .b115200)
        defer { port.close() }
        #expect(try port.read(timeout: .milliseconds(20)) == [])
        try port.write(SAMCommand.findCard.encoded())
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = Glibc.read(terminal.primary, &buffer, 64)
        #expect(Array(buffer.prefix(max(0, count))) == SAMCommand.findCard.encoded())
        let reply = SAMResponse(status: .noCard).encoded()
        _ = reply.withUnsafeBytes { Glibc.write(terminal.primary, $0.baseAddress, reply.count) }
        var received: [UInt8] = []
        while received.count < reply.count { received += try port.read(timeout: .seconds(2)) }
        #expect(received == reply)
    }

    @Test func openErrorsNameTheCallAndThePath() {
        do {
            _ = try SerialPort(path: "/dev/nonexistent-sam-reader")
            Issue.record("opened a missing device")
        } catch {
            #expect(error == .notFound)
            #expect(error.call == "open")
            #expect(error.errno == ENOENT)
            #expect(error.message.contains("/dev/nonexistent-sam-reader"))
            #expect(error.isDeviceAbsent)
        }
        #expect(throws: SerialError.notATerminal) { try SerialPort(path: "/dev/null") }
    }

    @Test func speedsMapToTermiosConstants() {
        #expect(SerialSpeed(baud: 115_200) == .b115200)
        #expect(SerialSpeed(baud: 9600) == .b9600)
        #expect(SerialSpeed(baud: 230_400) == .b230400)
        #expect(SerialSpeed(baud: 12345) == nil)
        #expect(SerialSpeed.supported.contains(.b57600))
        let wire = SerialSpeed.b115200.transferTime(byteCount: 1295)
        #expect(wire > .milliseconds(110) && wire < .milliseconds(115))
    }

    @Test func cancellingWakesABlockedRead() async throws {
        let terminal = try PseudoTerminal()
        defer { terminal.close() }
        let cancellation = SerialCancellation()
        let path = terminal.replicaPath
        let started = ContinuousClock.now
        // The blocking read runs on a thread of its own, never on the cooperative pool: were it on the pool, this
        // test's own wake-up to cancel it could wait behind it (a CI run stalled every test for 30 s that way).
        let outcome = Task {
            await onOwnThread("sam-blocked-read") { () -> SerialError? in
                do throws(SerialError) {
                    let port = try SerialPort(path: path, cancellation: cancellation)
                    _ = try port.read(timeout: .seconds(30))
                    return nil
                } catch {
                    return error
                }
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        cancellation.cancel()
        #expect(await outcome.value == .cancelled)
        #expect(started.duration(to: .now) < .seconds(10))
    }
}
