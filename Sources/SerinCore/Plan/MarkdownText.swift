/// Text placed in GitHub-flavoured Markdown as literal text: characters that Markdown (or GitHub's extensions:
/// tables, strikethrough, math, HTML, entities) would interpret are backslash-escaped, and line breaks become
/// spaces, so a value from a manifest can neither break a table row nor format the comment.
enum MarkdownText {
    private static let significant: Set<Character> = ["\\", "`", "*", "_", "[", "]", "<", ">", "|", "~", "$", "&", "#"]

    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            if character.isNewline {
                result.append(" ")
            } else {
                if significant.contains(character) { result.append("\\") }
                result.append(character)
            }
        }
        return result
    }
}
