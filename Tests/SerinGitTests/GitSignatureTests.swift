import SerinGit
import Testing

@Suite("Ledger identities")
struct GitSignatureTests {
    @Test(arguments: [
        ("Serin <serin@localhost>", "Serin", "serin@localhost"),
        ("  Ops Bot   <ops@example.com> ", "Ops Bot", "ops@example.com"),
        ("Zoë Ó Briain <zoe@example.ie>", "Zoë Ó Briain", "zoe@example.ie"),
    ])
    func anIdentityIsReadAsGitPrintsIt(_ text: String, _ name: String, _ email: String) {
        #expect(GitSignature(parsing: text) == GitSignature(name: name, email: email))
    }

    @Test(arguments: ["serin@localhost", "Serin", "<serin@localhost>", "Serin <>", "Serin <a<b>", "Se>rin <s@l>", "Serin\n <s@l>",
                      "Serin <s@l> trailing"])
    func anythingElseIsRefused(_ text: String) {
        #expect(GitSignature(parsing: text) == nil)
    }

    @Test func theDefaultIsSerinAtLocalhost() {
        #expect(GitSignature.serin.identity == "Serin <serin@localhost>")
    }
}
