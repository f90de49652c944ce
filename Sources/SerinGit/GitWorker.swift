import Foundation

/// A dedicated thread for one repository's libgit2 calls. libgit2 blocks and its objects are not thread-safe, so
/// calls never run on Swift's cooperative pool and never overlap: each `run` executes alone, in order.
final class GitWorker: @unchecked Sendable {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: "serin.git.\(label)")
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () throws(GitError) -> T) async throws(GitError) -> T {
        let result: Result<T, GitError> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(GitError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}
