/// Rows of text cells laid out in columns two spaces apart, as the ledger commands print them for people: each
/// column as wide as its widest cell, left-aligned unless named in `rightAligned`, with no trailing spaces.
struct AlignedColumns {
    var rows: [[String]]
    var rightAligned: Set<Int> = []

    /// One line per row, without line ends.
    var lines: [String] {
        let count = rows.map(\.count).max() ?? 0
        let widths = (0..<count).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            let cells = row.indices.map { column in
                let padding = String(repeating: " ", count: widths[column] - row[column].count)
                return rightAligned.contains(column) ? padding + row[column] : row[column] + padding
            }
            let line = cells.joined(separator: "  ")
            return String(line.reversed().drop(while: { $0 == " " }).reversed())
        }
    }
}
