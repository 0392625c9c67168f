"""Viber campaigns (R-VIB-02…09, R-BILL-08): a campaign with `channel="viber"` and its
`CampaignViber` content, from a list, an upload or a contact group, with {variables} filled per
recipient as in SMS campaigns (messaging.services.campaigns).

The same accept rules as a Viber send (messaging.viber.service), called per campaign, per
distinct personalized text and per recipient:
- the whole campaign is refused (before it exists when it can be told then; else it fails): the
  account, the type, the sender, the SMS fallback, and — for one text for everyone — the message
  rules, the template a transactional text must fill, the opt-out phone and content screening;
- one recipient is refused (in the campaign's report with its code, uncharged): a personalized
  text breaking those rules, and `opted_out`, `no_consent`, `welcome_required`, `frequency_cap`,
  `viber_daily_limit`.
Every message is priced in EUR at the day's rate, charged in UAH (its `ViberDetail` records the EUR
price and the rate), and the whole campaign is held once, like an SMS campaign.
"""
from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from djmoney.money import Money

from accounts.services import client_lock_for_send
from billing.services import HoldRef, hold_open, viber_price, wallet_assert_can_pay
from compliance.content import ContentRefused
from smsportal.cache import Versions
from smsportal.phones import Recipient, parse_recipient

from ..models import Campaign, CampaignViber, Channel, Message, ViberDetail
from ..services.prepare import render, send_time, template_variables
from ..services.webhooks import callback_url_check
from ..status import Status
from .service import (
    DAILY_LIMIT, ENCODING, ViberRefused, ViberRequest, viber_content_screen, viber_dispatcher_wake,
    viber_limit_lock, viber_limit_reason, viber_limit_split, viber_recipients_gate, viber_request_check,
    viber_text_check,
)

MAX_REPORTED = 1000


def viber_campaign_request(campaign: Campaign) -> ViberRequest:
    v = campaign.viber
    return ViberRequest(sender=campaign.sender, text=campaign.text, viber_type=v.viber_type, image_url=v.image_url,
                        button_caption=v.button_caption, button_url=v.button_url, ttl=campaign.ttl_seconds,
                        fallback_sender=v.fallback_sender, fallback_text=v.fallback_text, send_at=campaign.send_at)


def viber_campaign_check(*, client, request: ViberRequest) -> None:
    """What refuses a Viber campaign before it exists (raises): the account, type, sender, fallback,
    and one text for everyone that breaks a Viber rule or is refused by screening."""
    ttl, message_type = viber_request_check(client=client, request=request, phones=[])
    if not template_variables(request.text or ""):
        text, _template, refusals = viber_text_check(client=client, request=request, text=request.text or "",
                                                     ttl=ttl)
        if refusals:
            raise ViberRefused(refusals[0]["detail"], code=refusals[0]["code"], extra={"refusals": refusals})
        viber_content_screen(client=client, text=text, message_type=message_type, sender=request.sender,
                             versions=Versions(client.pk))


def viber_campaign_create(*, client, request: ViberRequest, name: str = "", source=Campaign.Source.API,
                          callback_url: str | None = None, total_rows: int = 0) -> Campaign:
    """A Viber campaign waiting for its recipients (viber_campaign_check's refusals raise first)."""
    viber_campaign_check(client=client, request=request)
    callback_url = callback_url_check(client=client, url=callback_url)
    message_type = viber_request_check(client=client, request=request, phones=[])[1]
    with transaction.atomic():
        campaign = Campaign.objects.create(
            client=client, sender=request.sender, text=request.text or "", name=(name or "")[:200], source=source,
            send_at=request.send_at, ttl_seconds=request.ttl, callback_url=callback_url, message_type=message_type,
            channel=Channel.VIBER, total_rows=max(int(total_rows or 0), 0))
        CampaignViber.objects.create(campaign=campaign, viber_type=request.viber_type, image_url=request.image_url,
                                     button_caption=request.button_caption, button_url=request.button_url,
                                     fallback_sender=request.fallback_sender, fallback_text=request.fallback_text)
    return campaign


def _read(rows, text: str, progress) -> tuple[list[tuple[int, str, str]], list[dict], int]:
    """(row, phone, personalized text) of each sendable row; the invalid rows; the repeats."""
    has_vars = bool(template_variables(text))
    good, invalid, seen, dups = [], [], set(), 0
    for n, item in enumerate(rows, start=1):
        if progress and n % 10_000 == 0:
            progress(n)
        raw, variables = (item.get("phone"), item) if isinstance(item, dict) else (item, {})
        parsed = parse_recipient(raw if isinstance(raw, str) else ("" if raw is None else str(raw)))
        if not isinstance(parsed, Recipient):
            invalid.append({"row": n, "value": str(raw)[:40], "reason": parsed})
            continue
        if parsed.phone in seen:
            dups += 1
            continue
        seen.add(parsed.phone)
        body = text
        if has_vars:
            try:
                body = render(text, {**variables, "phone": parsed.phone})
            except KeyError as exc:
                invalid.append({"row": n, "value": parsed.phone, "reason": f"no value for {{{exc.args[0]}}}"})
                continue
            if not body.strip():
                invalid.append({"row": n, "value": parsed.phone, "reason": "the text is empty"})
                continue
        good.append((n, parsed.phone, body))
    return good, invalid, dups


def _plan(*, client, request: ViberRequest, rows, progress=None) -> dict:
    """Reads and checks a Viber campaign's rows, storing nothing (the accept and the website's
    review both call it)."""
    versions = Versions(client.pk)
    good, invalid, dups = _read(rows, request.text or "", progress)
    ttl, message_type = viber_request_check(client=client, request=request, phones=[p for _n, p, _t in good])
    refused: list[dict] = []
    checked: dict[str, tuple] = {}   # personalized text → (final text, template, review) or (None, code, reason)
    kept = []
    for n, phone, body in good:
        verdict = checked.get(body)
        if verdict is None:
            try:
                final, template, refusals = viber_text_check(client=client, request=request, text=body, ttl=ttl,
                                                             phone=phone)
                if refusals:
                    verdict = (None, refusals[0]["code"], refusals[0]["detail"])
                else:
                    review = viber_content_screen(client=client, text=final, message_type=message_type,
                                                  sender=request.sender, versions=versions)
                    verdict = (final, template, review)
            except (ViberRefused, ContentRefused) as exc:
                verdict = (None, exc.code, exc.detail)
            checked[body] = verdict
        if verdict[0] is None:
            refused.append({"row": n, "value": phone, "code": str(verdict[1]), "reason": str(verdict[2]),
                            "text": body})
        else:
            kept.append((n, phone, verdict))
    send_at, schedule_reason = send_time(client=client, message_type=message_type, send_at=request.send_at,
                                         versions=versions)
    phones, gated = viber_recipients_gate(client=client, viber_type=request.viber_type, message_type=message_type,
                                          phones=[p for _n, p, _v in kept], at=send_at, versions=versions)
    row_of = {p: (n, v[0]) for n, p, v in kept}
    refused += [{"row": row_of[r["value"]][0], "value": r["value"], "code": r["code"], "reason": str(r["reason"]),
                 "text": row_of[r["value"]][1]} for r in gated]
    going = set(phones)
    kept = [k for k in kept if k[1] in going]
    price = viber_price(client=client, message_type=message_type, at=timezone.now())
    return {"kept": kept, "refused": refused, "invalid": invalid, "dups": dups, "price": price, "ttl": ttl,
            "message_type": message_type, "send_at": send_at, "schedule_reason": schedule_reason}


def viber_campaign_estimate(*, client, request: ViberRequest, rows, total: int) -> dict:
    """The review step's estimate of a Viber campaign from its first rows (`total`: all its rows):
    the shape of messaging.web_campaigns._estimate's, priced in EUR at the day's rate."""
    from decimal import Decimal  # noqa: PLC0415

    plan = _plan(client=client, request=request, rows=rows)
    kept, refused, price = plan["kept"], plan["refused"], plan["price"]
    sampled = len(rows)
    partial = 0 < sampled < total
    scale = Decimal(total) / Decimal(sampled) if partial else Decimal(1)
    counts: dict[str, int] = {}
    for r in refused:
        counts[r["code"]] = counts.get(r["code"], 0) + 1
    review = sum(1 for k in kept if k[2][2])
    return {
        "sampled": sampled, "total": total, "approx": partial, "valid": len(kept), "invalid": len(plan["invalid"]),
        "duplicates": plan["dups"], "refused": len(refused),
        "recipients": int((len(kept) * scale).to_integral_value()), "parts_min": 1, "parts_max": 1,
        "cost": (price.amount.amount * len(kept) * scale).quantize(Decimal("0.01")),
        "unit_min": None, "unit_max": None, "long": False,
        "examples": [{"phone": p, "text": v[0], "parts": 1, "encoding": "Viber"} for _n, p, v in kept[:3]],
        "invalid_examples": plan["invalid"][:5], "opted_out": counts.get("opted_out", 0),
        "over_cap": counts.get("frequency_cap", 0), "content_refused": 0, "content_refused_detail": "",
        "review": review, "review_detail": next((k[2][2][1] for k in kept if k[2][2]), ""), "notice": "",
        "refused_examples": [{k: v for k, v in r.items() if k != "text"} for r in refused[:5]],
        "refused_by_reason": counts, "viber": True, "eur_price": price.eur.amount, "rate": price.rate,
        "unit": price.amount.amount,
    }


def viber_campaign_accept(*, campaign: Campaign, rows, progress=None, fail=None):
    """Reads, checks, prices, then holds and stores a Viber campaign at once (called by
    messaging.services.campaigns.campaign_accept). `fail(detail, **counts)` records a failure on
    the campaign. Returns the counts stored on it."""
    from ..exceptions import InvalidRecipients  # noqa: PLC0415

    client = campaign.client
    request = viber_campaign_request(campaign)
    plan = _plan(client=client, request=request, rows=rows, progress=progress)
    kept, refused, invalid, dups, price = plan["kept"], plan["refused"], plan["invalid"], plan["dups"], plan["price"]
    ttl, message_type = plan["ttl"], plan["message_type"]
    send_at, schedule_reason = plan["send_at"], plan["schedule_reason"]
    unit = price.amount.amount

    def counts(accepted: int, refused_rows: list[dict]) -> dict:
        n_rows = accepted + len(invalid) + len(refused_rows) + dups
        report = (invalid + [{k: v for k, v in r.items() if k != "text"}
                             for r in sorted(refused_rows, key=lambda r: r["row"])])[:MAX_REPORTED]
        return {"total_rows": n_rows, "processed_rows": n_rows, "accepted": accepted, "invalid": len(invalid),
                "duplicates": dups, "refused": len(refused_rows), "errors": report}

    if not kept:
        fields = counts(0, refused)
        detail = "No recipient in the list can receive this Viber message."
        fail(detail, **fields)
        raise InvalidRecipients(gettext("No recipient in the list can receive this Viber message."),
                                extra={"invalid": fields["errors"][:100]})
    now = timezone.now()
    send_at = send_at if send_at > now else now
    scheduled = send_at > now
    wallet_assert_can_pay(client=client, amount=unit * len(kept))
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.state != Campaign.State.ACCEPTING:
            from ..services.campaigns import CampaignError  # noqa: PLC0415

            raise CampaignError("This campaign was cancelled while its recipients were read.")
        viber_limit_lock(client.pk)
        client_lock_for_send(client)
        within, over = viber_limit_split(client.pk, [p for _n, p, _v in kept], send_at)
        if over:
            over_set = set(over)
            refused += [{"row": n, "value": p, "code": DAILY_LIMIT, "reason": viber_limit_reason(), "text": v[0]}
                        for n, p, v in kept if p in over_set]
            kept = [k for k in kept if k[1] not in over_set]
        if not kept:
            raise InvalidRecipients(viber_limit_reason(), code=DAILY_LIMIT)
        total = unit * len(kept)
        valid_until = send_at + timedelta(seconds=ttl)
        base = {"client": client, "batch_id": campaign.public_id, "campaign": campaign, "sender": request.sender,
                "encoding": ENCODING, "segments": 1, "message_type": message_type, "send_at": send_at,
                "channel": Channel.VIBER, "callback_url": campaign.callback_url, "valid_until": valid_until,
                "price": Money(unit, "UAH")}
        go = Status.SCHEDULED if scheduled else Status.QUEUED
        messages = Message.objects.bulk_create([Message(
            **base, recipient=phone, text=v[0],
            status=Status.PENDING_REVIEW if v[2] else go,
            error_code=v[2][0][:32] if v[2] else "", error_detail=v[2][1][:300] if v[2] else "")
            for _n, phone, v in kept], batch_size=5000)
        # Refused rows are stored `refused`, uncharged, as an SMS campaign's (their reason on the message).
        stopped = Message.objects.bulk_create([Message(
            **{**base, "price": Money(0, "UAH")}, recipient=r["value"], text=r["text"], status=Status.REFUSED,
            error_code=r["code"][:32], error_detail=r["reason"][:300], done_at=now) for r in refused],
            batch_size=5000)
        details = [(m, v[1], True) for m, (_n, _p, v) in zip(messages, kept, strict=True)]
        details += [(m, None, False) for m in stopped]
        ViberDetail.objects.bulk_create([ViberDetail(
            message=m, viber_type=request.viber_type, image_url=request.image_url,
            button_caption=request.button_caption, button_url=request.button_url, ttl=ttl, template=template,
            eur_price=price.eur if charged else None, rate=price.rate if charged else None,
            fallback_sender=request.fallback_sender, fallback_text=request.fallback_text)
            for m, template, charged in details], batch_size=5000)
        if total > 0:
            hold_open(client=client, reference=HoldRef("campaign", campaign.public_id), amount=total,
                      description=f"Campaign {campaign.name or campaign.public_id}: {len(kept)} Viber",
                      details={"channel": "viber", "eur": str(price.eur.amount), "rate": str(price.rate),
                               "rate_date": price.rate_date.isoformat() if price.rate_date else None})
        fields = counts(len(kept), refused)
        moved = {"send_at": send_at} if schedule_reason else {}
        Campaign.objects.filter(pk=campaign.pk).update(
            state=Campaign.State.SCHEDULED if scheduled else Campaign.State.SENDING,
            total_price=Money(total, "UAH"), updated_at=now, **moved, **fields)
        if any(m.status == Status.QUEUED for m in messages):
            transaction.on_commit(viber_dispatcher_wake)
    return fields

