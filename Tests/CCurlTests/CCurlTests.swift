import CCurl
import Foundation
import Testing

/// The CCurl system-library target links Debian's libcurl with TLS and HTTP/2, and its typed shims over the
/// variadic `curl_easy_setopt`/`curl_easy_getinfo` drive real transfers.
@Suite("CCurl")
struct CCurlTests {
    init() { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }

    final class Body: @unchecked Sendable {
        var bytes: [UInt8] = []
    }

    @Test func libraryHasTLSAndHTTP2() throws {
        let info = try #require(serin_curl_version_info())
        #expect(info.pointee.features & CURL_VERSION_SSL != 0)
        #expect(info.pointee.features & CURL_VERSION_HTTP2 != 0)
        #expect(String(cString: info.pointee.ssl_version).hasPrefix("OpenSSL"))
    }

    @Test func shimsPerformATransferThroughTheWriteCallback() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("serin-ccurl-\(UUID().uuidString)")
        try Data("model weights".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }

        let handle = try #require(curl_easy_init())
        defer { curl_easy_cleanup(handle) }
        let body = Body()
        let write: serin_curl_data_callback = { buffer, size, count, context in
            guard let buffer, let context else { return 0 }
            let body = Unmanaged<Body>.fromOpaque(context).takeUnretainedValue()
            body.bytes += UnsafeBufferPointer(start: UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self), count: size * count)
            return size * count
        }
        let code = withExtendedLifetime(body) { () -> CURLcode in
            _ = serin_curl_setopt_string(handle, CURLOPT_URL, file.absoluteString)
            _ = serin_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
            _ = serin_curl_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, write)
            _ = serin_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(body).toOpaque())
            return curl_easy_perform(handle)
        }
        #expect(code == CURLE_OK)
        #expect(String(decoding: body.bytes, as: UTF8.self) == "model weights")
        var downloaded: curl_off_t = 0
        #expect(serin_curl_getinfo_off(handle, CURLINFO_SIZE_DOWNLOAD_T, &downloaded) == CURLE_OK)
        #expect(downloaded == 13)
    }

    @Test func failureCarriesLibcurlsMessage() throws {
        let handle = try #require(curl_easy_init())
        defer { curl_easy_cleanup(handle) }
        _ = serin_curl_setopt_string(handle, CURLOPT_URL, "nosuchscheme://example")
        let code = curl_easy_perform(handle)
        #expect(code == CURLE_UNSUPPORTED_PROTOCOL)
        #expect(String(cString: curl_easy_strerror(code)) == "Unsupported protocol")
    }
}
