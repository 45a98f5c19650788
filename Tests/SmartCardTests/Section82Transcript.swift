import Foundation

/// The social security card transcript of cards.md §8.2, copied verbatim (comments included), parsed with
/// ``Section81/parseTranscript(_:)``.
enum Section82 {
    static let transcript = #"""
> 00 A4 04 00 0F 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF
< 6F 19 84 0F 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF
        A5 06 9F 0C 03 86 01 01                               (algorithm 01 = DES;
  90 00                                                        optional, uncertain)
> 00 A4 02 00 02 EF 05
< 90 00
> 00 B2 01 00 12
< 01 10 11 01 00 D1 56 00 00 05 00 00 00 01 FF FF FF FF 90 00   (卡识别码; region 110100)
> 00 B2 02 00 03
< 02 01 33 90 00                                              (卡的类别 '3', value illustrative)
> 00 B2 03 00 06
< 03 04 32 2E 30 30 90 00                                     (规范版本 "2.00")
> 00 B2 04 00 0E
< 04 0C 11 00 00 00 00 00 00 00 00 00 00 00 90 00             (初始化机构编号, illustrative)
> 00 B2 05 00 06
< 05 04 20 18 06 01 90 00                                     (发卡日期 2018-06-01)
> 00 B2 06 00 06
< 06 04 20 28 06 01 90 00                                     (卡有效期 2028-06-01)
> 00 B2 07 00 0B
< 07 09 31 32 33 34 35 36 37 38 39 90 00                      (卡号 "123456789")
> 00 A4 02 00 02 EF 06
< 90 00
> 00 B2 08 00 14
< 08 12 31 31 30 31 30 31 31 39 34 36 30 35 31 32 31 32 33 31 90 00
                                                              (社会保障号码)
> 00 B2 09 00 20
< 09 1E CD F5 D0 A1 B2 E2 00 00 00 00 00 00 00 00 00 00 00 00
        00 00 00 00 00 00 00 00 00 00 00 00 90 00            (姓名 GBK, 00-padded to 30)
> 00 B2 4E 00 16
< 4E 14 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 90 00
                                                              (姓名扩展 empty; gen-1: 6A 83)
> 00 B2 0A 00 03
< 0A 01 31 90 00                                              (性别 '1' male)
> 00 B2 0B 00 03
< 0B 01 01 90 00                                              (民族 01 汉)
> 00 B2 0C 00 05
< 0C 03 11 01 01 90 00                                        (出生地 110101)
> 00 B2 0D 00 06
< 0D 04 19 46 05 12 90 00                                     (出生日期 1946-05-12)
"""#

    /// The 17 exchanges of §8.2. The first response's comment "(algorithm 01 = DES; … optional, uncertain)" wraps
    /// around the `90 00` of that response; it is closed before the status word so the parser keeps it.
    static let exchanges: [APDUExchange] = Section81.parseTranscript(
        transcript.replacingOccurrences(
            of: "(algorithm 01 = DES;\n  90 00", with: "(algorithm 01 = DES;)\n  90 00 ("))
}
