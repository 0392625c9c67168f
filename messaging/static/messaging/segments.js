/*
 * SMS segment counter (rule R-MSG-02): the browser twin of messaging/segments.py.
 * Plain script, no build step. Defines window.SmsSegments; under node, module.exports.
 *
 *   SmsSegments.count(text) -> {encoding, units, segments, perPart, remaining}
 *     encoding  "gsm7" | "ucs2"
 *     units     septets (extension chars count 2) / UTF-16 code units
 *     segments  number of SMS (same as Python segment(text).count; "" is 1)
 *     perPart   160/70 for one part, else 153/67 (for display)
 *     remaining 1-unit characters that still fit before one more part is needed
 *   SmsSegments.split(text) -> [part, ...]   (same parts as Python)
 *
 * Limits: one part 160 gsm7 / 70 ucs2 units; concatenated parts carry at most
 * 152/66 units each except the last, which carries 153/67. A 2-unit character
 * (escape pair, surrogate pair) is never cut between parts. Greedy filling of
 * the non-last parts, stopping as soon as the rest fits one last part, gives
 * the least possible part count (see the proof in segments.py).
 */
(function (root) {
  "use strict";

  // GSM 03.38 basic table without the escape slot (0x1B); non-ASCII escaped so
  // the file does not depend on the charset it is served with.
  var BASIC = "@\u00a3$\u00a5\u00e8\u00e9\u00f9\u00ec\u00f2\u00c7\u000a\u00d8\u00f8\u000d\u00c5\u00e5" +
    "\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e\u00c6\u00e6\u00df\u00c9" +
    " !\"#\u00a4%&'()*+,-./0123456789:;<=>?" +
    "\u00a1ABCDEFGHIJKLMNOPQRSTUVWXYZ\u00c4\u00d6\u00d1\u00dc\u00a7" +
    "\u00bfabcdefghijklmnopqrstuvwxyz\u00e4\u00f6\u00f1\u00fc\u00e0";
  // extension table (each costs 2 septets): form feed ^ { } \ [ ~ ] | euro
  var EXTENSION = "\u000c^{}\\[~]|\u20ac";

  var LIMITS = { gsm7: [160, 152, 153], ucs2: [70, 66, 67] };

  var COST = Object.create(null);
  var i;
  for (i = 0; i < BASIC.length; i++) COST[BASIC.charAt(i)] = 1;
  for (i = 0; i < EXTENSION.length; i++) COST[EXTENSION.charAt(i)] = 2;

  // -> {encoding, chars: [code point strings], costs: [1|2], units}
  function tokenize(text) {
    var chars = [];
    var gsm = true;
    var ch;
    for (ch of text) {
      chars.push(ch);
      if (gsm && COST[ch] === undefined) gsm = false;
    }
    var costs = new Array(chars.length);
    var units = 0;
    for (var j = 0; j < chars.length; j++) {
      ch = chars[j];
      // ucs2: UTF-16 code units (2 for a character outside the BMP; a lone
      // surrogate is one unit, as in Python)
      var c = gsm ? COST[ch] : ch.length;
      costs[j] = c;
      units += c;
    }
    return { encoding: gsm ? "gsm7" : "ucs2", chars: chars, costs: costs, units: units };
  }

  // End index (in code points, exclusive) of every part but the last.
  function partEnds(costs, units, limits) {
    var single = limits[0], nonlast = limits[1], last = limits[2];
    var ends = [];
    if (units <= single) return ends;
    var start = 0, rest = units;
    while (rest > last) {
      var end = start, used = 0;
      // rest > last >= nonlast: this stops before running off the text
      while (used + costs[end] <= nonlast) {
        used += costs[end];
        end += 1;
      }
      ends.push(end);
      rest -= used;
      start = end;
    }
    return ends;
  }

  function count(text) {
    text = text == null ? "" : String(text);
    var t = tokenize(text);
    var limits = LIMITS[t.encoding];
    var ends = partEnds(t.costs, t.units, limits);
    var segments = ends.length + 1;
    var perPart, remaining;
    if (segments === 1) {
      perPart = limits[0];
      remaining = limits[0] - t.units;
    } else {
      perPart = limits[2];
      var lastUnits = 0;
      for (var k = ends[ends.length - 1]; k < t.costs.length; k++) lastUnits += t.costs[k];
      remaining = limits[2] - lastUnits;
    }
    return {
      encoding: t.encoding,
      units: t.units,
      segments: segments,
      perPart: perPart,
      remaining: remaining
    };
  }

  function split(text) {
    text = text == null ? "" : String(text);
    var t = tokenize(text);
    var ends = partEnds(t.costs, t.units, LIMITS[t.encoding]);
    var parts = [], start = 0;
    for (var k = 0; k < ends.length; k++) {
      parts.push(t.chars.slice(start, ends[k]).join(""));
      start = ends[k];
    }
    parts.push(t.chars.slice(start).join(""));
    return parts;
  }

  var api = { count: count, split: split, LIMITS: LIMITS };
  if (root) root.SmsSegments = api;
  if (typeof module !== "undefined" && module.exports) module.exports = api;
})(typeof window !== "undefined" ? window : null);
