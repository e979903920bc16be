import Foundation
import Testing
import Timeline

/// The serializer against Foundation's parser: what we write must read back
/// as the same values.
@Suite struct JSONTests {
  func parse(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
  }

  @Test(arguments: [
    "plain", "say \"hi\"", "back\\slash", "two\nlines", "tab\there", "cr\r", "\u{01}", "\u{1F}", "\u{7F}",
    "naïve 日本 🚀", "", "\\\"\\n",
  ])
  func stringsRoundTrip(_ s: String) throws {
    let text = JSONValue(s).serialized()
    #expect(try parse(text) as? String == s)
    #expect(!text.unicodeScalars.contains { $0.value < 0x20 }, "control characters are escaped")
  }

  @Test func controlCharactersUseUnicodeEscapes() {
    #expect(JSONValue("\u{01}\u{1F}").serialized() == #""\u0001\u001f""#)
    #expect(JSONValue("a\"b\\c\nd").serialized() == #""a\"b\\c\nd""#)
  }

  @Test func objectsKeepTheirKeyOrder() {
    let v: JSONValue = ["z": JSONValue(1), "a": [JSONValue(true), .null], "m": JSONValue(0.5)]
    #expect(v.serialized() == #"{"z": 1, "a": [true, null], "m": 0.5}"#)
  }

  @Test func numbersReadBack() throws {
    let v: JSONValue = [
      "int": JSONValue(Int64.min), "tiny": JSONValue(1e-05), "big": JSONValue(1e300), "whole": JSONValue(2.0),
    ]
    let object = try #require(try parse(v.serialized()) as? [String: Any])
    #expect((object["int"] as? NSNumber)?.int64Value == Int64.min)
    #expect(object["tiny"] as? Double == 1e-05)
    #expect(object["big"] as? Double == 1e300)
    #expect(object["whole"] as? Double == 2)
  }

  @Test func nonFiniteDoublesAreNull() {
    let v: JSONValue = [JSONValue(Double.infinity), JSONValue(-Double.infinity), JSONValue(Double.nan)]
    #expect(v.serialized() == "[null, null, null]")
  }

  @Test func rawTextIsWrittenVerbatim() {
    let v: JSONValue = ["event": .raw(#"{"ph": "X"}"#)]
    #expect(v.serialized() == #"{"event": {"ph": "X"}}"#)
  }

  @Test func traceEventNamesAreEscapedNotRewritten() throws {
    var trace = Trace(rank: 0, origin: 0)
    trace.add(Trace.Event(track: .compute, name: "attn \"q\\k\"\n", start: 0, end: 1e-3, amount: 7, isWait: false))
    let file = try #require(try parse(chromeTraceJSON([trace])) as? [String: Any])
    let events = try #require(file["traceEvents"] as? [[String: Any]])
    #expect(events.last?["name"] as? String == "attn \"q\\k\"\n")
    #expect(events.last?["dur"] as? Double == 1000)
  }
}
