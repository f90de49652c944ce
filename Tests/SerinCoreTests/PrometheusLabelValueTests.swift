import SerinCore
import Testing

@Suite("Prometheus label values")
struct PrometheusLabelValueTests {
    @Test func aPlainValueIsWrittenAsItIs() {
        #expect(PrometheusLabelValue.escaped("iris-2.1_rc") == "iris-2.1_rc")
    }

    @Test func backslashQuoteAndLineFeedAreEscaped() {
        #expect(PrometheusLabelValue.escaped(#"a\b"c"# + "\nd") == #"a\\b\"c\nd"#)
    }

    @Test func aLineFeedAfterACarriageReturnIsEscapedToo() {
        // Swift reads "\r\n" as one Character; the format reads the line feed alone.
        #expect(PrometheusLabelValue.escaped("a\r\nb") == "a\r" + #"\n"# + "b")
    }
}
