import Foundation
import NIOCore
import NIOPosix
import SerinRouter
import Testing

/// Whether the router's threads are free to serve: what the service manager's watchdog asks before it tells systemd
/// that Serin is alive.
@Suite("Responsiveness")
struct ResponsivenessTests {
    @Test func aRouterWhoseThreadsAreFreeHasNoneUnresponsive() async throws {
        // Four threads, as the other tests' routers of their own: ConnectionTests counts the groups of other sizes.
        try await RouterFixture.with(configuration: RouterConfiguration(port: 0, threads: 4)) { fixture in
            #expect(await fixture.router.unresponsiveThreads(within: .seconds(5)) == 0)
        }
    }

    @Test func aThreadHeldByATaskIsUnresponsiveUntilItIsLetGo() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 4)
        let router = try await ModelRouter.start(RouterConfiguration(host: "127.0.0.1", port: 0), eventLoopGroup: group,
                                                 logger: RouterFixture.quiet)
        let release = DispatchSemaphore(value: 0)
        // Something on one of the router's threads that does not return: a handler blocking it, say.
        group.next().execute { release.wait() }

        #expect(await router.unresponsiveThreads(within: .milliseconds(300)) == 1)
        release.signal()
        #expect(await router.unresponsiveThreads(within: .seconds(5)) == 0)

        try await router.stop()
        try await group.shutdownGracefully()
    }
}
