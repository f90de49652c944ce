import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// This `serin run`'s exclusive hold on its state directory.
///
/// Two Serins on one state directory would undo each other: at start each stops every model server that
/// `processes.json` lists (left running, as far as it can tell, by a Serin that crashed), and both would fetch into
/// and commit from the same Git cache. The second one is therefore refused before it touches anything.
///
/// The hold is an advisory `flock` on `serin.lock`, which the kernel releases when the process ends however it ends,
/// so a Serin that was killed leaves nothing to clean up. The file holds the pid of the Serin that has it, for the
/// error message. The descriptor is close-on-exec, and model servers are started with every other descriptor
/// closed, so no child keeps the directory locked after Serin is gone.
final class StateDirectoryLock {
    static let fileName = "serin.lock"

    private var descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit { release() }

    /// Takes the hold on `directory` (which exists), or fails naming the Serin that has it.
    static func acquire(_ directory: String) throws(OperationFailure) -> StateDirectoryLock {
        let path = directory + "/" + fileName
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw OperationFailure(description: "cannot open \(path): \(String(cString: strerror(errno))); "
                + "pass --state-dir with a directory Serin can write")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = recordedPid(descriptor)
            close(descriptor)
            guard code == EWOULDBLOCK else {
                throw OperationFailure(description: "cannot lock \(path): \(String(cString: strerror(code)))")
            }
            let pid = holder.map(String.init) ?? "unknown"
            throw OperationFailure(description: "another Serin (pid \(pid)) is running with the "
                + "state directory \(directory), and two would stop each other's model servers: stop it first, or give "
                + "this one a state directory of its own (--state-dir or SERIN_STATE_DIR)")
        }
        let pid = Array("\(getpid())\n".utf8)
        if ftruncate(descriptor, 0) == 0 {
            _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        }
        return StateDirectoryLock(descriptor: descriptor)
    }

    /// Gives the directory up; later calls do nothing.
    func release() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }

    /// The pid the holder wrote, if the file has one.
    private static func recordedPid(_ descriptor: Int32) -> Int32? {
        var bytes = [UInt8](repeating: 0, count: 32)
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: bytes[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Int32(text).flatMap { $0 > 0 ? $0 : nil }
    }
}
