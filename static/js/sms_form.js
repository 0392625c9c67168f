/* What the Send page (send.js) and the New campaign page (campaign_new.js) share: money in
 * whole units, the recipients split as the server does it, the length hints under the text
 * (portal/_sms_counter.html) and the message type's price and hint (portal/_message_type.html). Plain script, no build step; defines window.SmsForm. */
(function (root) {
  "use strict";

  // Money as whole ten-thousandths of a hryvnia (the price list's precision): no float drift.
  function toUnits(decimal) {
    if (decimal == null) return null;
    var m = /^(-?)(\d+)(?:\.(\d{0,4}))?/.exec(String(decimal));
    if (!m) return null;
    var units = parseInt(m[2], 10) * 10000 + parseInt(((m[3] || "") + "0000").slice(0, 4), 10);
    return m[1] ? -units : units;
  }
  // Numbers as the page's language writes them (SmsPortal in app.js): 1,234.56 or 1 234,56.
  function portal() { return window.SmsPortal || null; }
  function lang() {
    return portal() ? portal().lang : (document.documentElement.lang || "uk").slice(0, 2);
  }
  function decimalMark() {
    return portal() ? portal().separators().decimal : (lang() === "en" ? "." : ",");
  }
  function formatUnits(units) {
    // Round half up to kopecks for display, group thousands as the language does.
    var kop = Math.round(units / 100);
    var whole = Math.floor(kop / 100), frac = kop % 100;
    return formatCount(whole) + decimalMark() + (frac < 10 ? "0" : "") + frac;
  }
  function formatCount(n) {
    if (portal()) return (n < 0 ? "-" : "") + portal().groupDigits(String(Math.abs(n)));
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, lang() === "en" ? "," : "\u00a0");
  }
  // "UAH" in English, "грн" in Ukrainian.
  function currency() {
    return (portal() && portal().text("currency")) || (lang() === "en" ? "UAH" : "грн");
  }

  // The page scripts' own words in both languages; t(key, n, shown) picks the plural form of n
  // (Ukrainian has three) and puts `shown` (n as written, by default) in place of {n}.
  var TEXTS = {
    en: {
      characters: ["{n} character", "{n} characters"],
      left: "{n} left",
      inTemplate: " in the template",
      beforeFilling: " before filling in",
      about: "about ",
      afterUpload: "after upload",
      more: "… and {n} more.",
      cannotSend: ["{n} number cannot be sent: ", "{n} numbers cannot be sent: "],
      optedOut: ["{n} recipient opted out: they are skipped.", "{n} recipients opted out: they are skipped."],
      sending: "Sending…",
      uploading: "Uploading…",
      checking: "Checking…",
      noteFile: "The file is counted after the upload. Invalid and duplicate numbers are dropped and not charged; the cost is shown before you confirm.",
      notePaste: "Invalid and duplicate numbers are dropped and not charged; the exact cost is shown before you confirm."
    },
    uk: {
      characters: ["{n} символ", "{n} символи", "{n} символів"],
      left: "залишилось {n}",
      inTemplate: " у шаблоні",
      beforeFilling: " до заповнення",
      about: "близько ",
      afterUpload: "після завантаження",
      more: "… і ще {n}.",
      cannotSend: ["{n} номер не можна надіслати: ", "{n} номери не можна надіслати: ", "{n} номерів не можна надіслати: "],
      optedOut: ["{n} одержувач відмовився від розсилок: його пропущено.",
                 "{n} одержувачі відмовилися від розсилок: їх пропущено.",
                 "{n} одержувачів відмовилися від розсилок: їх пропущено."],
      sending: "Надсилання…",
      uploading: "Завантаження…",
      checking: "Перевірка…",
      noteFile: "Файл підраховується після завантаження. Недійсні й повторені номери відкидаються і не оплачуються; вартість буде показано перед підтвердженням.",
      notePaste: "Недійсні й повторені номери відкидаються і не оплачуються; точну вартість буде показано перед підтвердженням."
    }
  };
  function pluralIndex(code, n) {
    if (code === "en") return n === 1 ? 0 : 1;
    var tens = n % 100, ones = n % 10;
    if (ones === 1 && tens !== 11) return 0;
    if (ones >= 2 && ones <= 4 && (tens < 12 || tens > 14)) return 1;
    return 2;
  }
  function t(key, n, shown) {
    var code = TEXTS[lang()] ? lang() : "uk";
    var entry = TEXTS[code][key];
    if (Array.isArray(entry)) entry = entry[pluralIndex(code, n)];
    return n == null ? entry : entry.replace("{n}", shown == null ? String(n) : shown);
  }

  // Mirrors messaging.forms.split_recipients.
  function splitRecipients(raw) {
    var numbers = [];
    raw.split(/[\r\n,;]+/).forEach(function (chunk) {
      var words = chunk.split(/\s+/).filter(Boolean);
      if (!words.length) return;
      var allLong = words.length > 1 && words.every(function (w) { return (w.match(/\d/g) || []).length >= 9; });
      if (allLong) numbers.push.apply(numbers, words);
      else numbers.push(words.join(" "));
    });
    return numbers;
  }
  // A rough key for duplicates: +380671234567, 380671234567 and 0671234567 are one number.
  function dedupKey(number) {
    var digits = number.replace(/\D/g, "");
    if (/^0\d{9}$/.test(digits)) digits = "38" + digits;
    return digits;
  }

  // The warnings under the counter: more parts than longParts, and a text switched to UCS-2.
  function lengthHints(info, text, longParts) {
    var tooLong = info.segments > longParts;
    document.getElementById("sms-counter").classList.toggle("is-long", tooLong);
    document.getElementById("long-warning").hidden = !tooLong;
    document.getElementById("ucs2-hint").hidden = !(info.encoding === "ucs2" && text.length > 0);
  }

  // The message type radios (portal/_message_type.html): the chosen type, "service" by default.
  function messageType(form) {
    var checked = form.querySelector("input[name=message_type]:checked");
    return checked ? checked.value : "service";
  }
  // The flat price per part of the chosen type (config.typePrices, else the list's default
  // config.segmentPrice) in units; shows it in the Estimate box and, for advertising without a
  // signed contract, the R-CMP-11 hint. Returns the units (null without a price list).
  function typePrice(form, config) {
    var type = messageType(form);
    var price = config.typePrices && config.typePrices[type] != null ? config.typePrices[type] : config.segmentPrice;
    var units = toUnits(price);
    var unitEl = document.getElementById("est-unit");
    if (unitEl && units != null) unitEl.textContent = formatUnits4(units) + " " + currency();
    var warning = document.getElementById("contract-warning");
    if (warning) warning.hidden = type !== "advertising";
    return units;
  }
  // A price per part as the server writes it: 2 places, or 4 with fractions of a kopeck.
  function formatUnits4(units) {
    if (units % 100 === 0) return formatUnits(units);
    var whole = Math.floor(units / 10000), frac = String(units % 10000);
    return formatCount(whole) + decimalMark() + "0000".slice(frac.length) + frac;
  }

  root.SmsForm = {toUnits: toUnits, formatUnits: formatUnits, formatCount: formatCount, currency: currency, t: t,
                  splitRecipients: splitRecipients, dedupKey: dedupKey, lengthHints: lengthHints,
                  messageType: messageType, typePrice: typePrice};
})(window);
