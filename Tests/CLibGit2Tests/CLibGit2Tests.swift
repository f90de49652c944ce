import CLibGit2
import Foundation
import Testing

/// The CLibGit2 system-library target links Debian's libgit2 with the transports Serin needs, and its shims for the
/// variadic `git_libgit2_opts` reach the library.
@Suite("CLibGit2", .serialized)
struct CLibGit2Tests {
    init() { git_libgit2_init() }

    @Test func libraryIsAtLeastVersion1_5() {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        #expect(git_libgit2_version(&major, &minor, &patch) == 0)
        #expect((major, minor) >= (1, 5))
    }

    @Test func librarySupportsThreadsHTTPSAndSSH() {
        let features = git_libgit2_features()
        #expect(features & Int32(GIT_FEATURE_THREADS.rawValue) != 0)
        #expect(features & Int32(GIT_FEATURE_HTTPS.rawValue) != 0)
        #expect(features & Int32(GIT_FEATURE_SSH.rawValue) != 0)
    }

    @Test func ownerValidationShimSetsAndReadsTheOption() {
        var enabled: Int32 = -1
        #expect(serin_git_set_owner_validation(0) == 0)
        #expect(serin_git_get_owner_validation(&enabled) == 0)
        #expect(enabled == 0)
        #expect(serin_git_set_owner_validation(1) == 0)
        #expect(serin_git_get_owner_validation(&enabled) == 0)
        #expect(enabled == 1)
    }

    @Test func initialisesABareRepository() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("serin-clibgit2-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var repository: OpaquePointer?
        #expect(git_repository_init(&repository, path, 1) == 0)
        defer { git_repository_free(repository) }
        #expect(git_repository_is_bare(repository) == 1)
    }

    @Test func failureCarriesLibgit2sMessage() {
        var repository: OpaquePointer?
        #expect(git_repository_open(&repository, "/nonexistent/serin-repository") < 0)
        let message = git_error_last().map { String(cString: $0.pointee.message) } ?? ""
        #expect(message.contains("/nonexistent/serin-repository"))
    }
}
