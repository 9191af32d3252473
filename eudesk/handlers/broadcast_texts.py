"""The words of /broadcast, its Send button and /ack_status, in sr-Latn, hu and en.

Counts are shown as fields ("Organi: 2"), never inside a sentence, so that no noun needs a
plural form that agrees with the number (1, 2-4, 5+ in Serbian).
"""

from __future__ import annotations

from eudesk.handlers.i18n import Messages, texts

OLD_MESSAGES: Messages = {
    "cmd.broadcast": {
        "sr-Latn": "pošalji smernicu kontaktima organa (all-lsgu, provincial, organi)",
        "hu": "irányelv küldése a szervek kapcsolattartóinak (all-lsgu, provincial, szervek)",
        "en": "send a guideline to the contacts of bodies (all-lsgu, provincial, bodies)",
    },
    "cmd.ack_status": {
        "sr-Latn": "ko je potvrdio prijem smernice, a ko nije",
        "hu": "ki nyugtázta az irányelvet, és ki nem",
        "en": "who acknowledged a guideline and who did not",
    },
    "broadcast.usage": {
        "sr-Latn": "Upotreba: /broadcast OZNAKA [all-lsgu | provincial | all | organ, organ…]. "
        "Bez primalaca smernica ide onima kojima je namenjena.",
        "hu": "Használat: /broadcast JELÖLÉS [all-lsgu | provincial | all | szerv, szerv…]. "
        "Címzettek nélkül az irányelv annak megy, akinek szól.",
        "en": "Usage: /broadcast REF [all-lsgu | provincial | all | body, body…]. With no "
        "recipients the guideline goes to its own audience.",
    },
    "broadcast.unknown": {
        "sr-Latn": "Nema smernice sa oznakom {ref}. Oznake su u /guidelines.",
        "hu": "Nincs {ref} jelölésű irányelv. A jelölések: /guidelines.",
        "en": "There is no guideline {ref}. References are in /guidelines.",
    },
    "broadcast.unknown_body": {
        "sr-Latn": "Ne prepoznajem organ „{name}”. Navedite tačan naziv ili šifru; više organa "
        "odvojite zarezom.",
        "hu": "Nem ismerem fel a(z) „{name}” szervet. Adja meg a pontos nevét vagy kódját; "
        "több szervet vesszővel válasszon el.",
        "en": "I do not recognise the body “{name}”. Give its exact name or code; separate "
        "several bodies with commas.",
    },
    "broadcast.needs_bodies": {
        "sr-Latn": "Smernica {ref} je namenjena pojedinim organima: navedite ih, npr. "
        "/broadcast {ref} Subotica, Senta.",
        "hu": "A(z) {ref} irányelv egyes szerveknek szól: nevezze meg őket, pl. "
        "/broadcast {ref} Szabadka, Zenta.",
        "en": "Guideline {ref} is for particular bodies: name them, e.g. "
        "/broadcast {ref} Subotica, Senta.",
    },
    "broadcast.nobody": {
        "sr-Latn": "Izabrani organi nemaju aktivnih kontakata; ništa nije poslato.",
        "hu": "A kiválasztott szerveknek nincs aktív kapcsolattartójuk; semmi sem ment el.",
        "en": "The chosen bodies have no active contacts; nothing was sent.",
    },
    "ack_status.usage": {
        "sr-Latn": "Upotreba: /ack_status OZNAKA, npr. /ack_status `DEMO-GL-0001`.",
        "hu": "Használat: /ack_status JELÖLÉS, pl. /ack_status DEMO-GL-0001.",
        "en": "Usage: /ack_status REF, e.g. /ack_status DEMO-GL-0001.",
    },
    "ack_status.title": {
        "sr-Latn": "Potvrde prijema: {ref} „{title}”",
        "hu": "Átvételi nyugták: {ref} „{title}”",
        "en": "Acknowledgements: {ref} “{title}”",
    },
    "ack_status.none": {
        "sr-Latn": "Smernica {ref} još nije dostavljena nijednom kontaktu.",
        "hu": "A(z) {ref} irányelvet még egy kapcsolattartó sem kapta meg.",
        "en": "Guideline {ref} has not been delivered to any contact yet.",
    },
    "ack_status.delivered": {
        "sr-Latn": "Dostavljeno",
        "hu": "Kézbesítve",
        "en": "Delivered to",
    },
    "ack_status.acknowledged": {
        "sr-Latn": "Potvrdilo",
        "hu": "Nyugtázta",
        "en": "Acknowledged",
    },
    "ack_status.pending": {
        "sr-Latn": "Nije potvrdilo",
        "hu": "Nem nyugtázta",
        "en": "Not acknowledged",
    },
    "ack_status.line_acked": {
        "sr-Latn": "{body} — {name}: potvrđeno {date}",
        "hu": "{body} — {name}: nyugtázva {date}",
        "en": "{body} — {name}: acknowledged {date}",
    },
    "ack_status.line_sent": {
        "sr-Latn": "{body} — {name}: nije potvrđeno (poslato {date})",
        "hu": "{body} — {name}: nincs nyugtázva (elküldve {date})",
        "en": "{body} — {name}: not acknowledged (sent {date})",
    },
    "ack_status.line_reminded": {
        "sr-Latn": "{body} — {name}: nije potvrđeno (poslato {date}, podsetnik {reminded})",
        "hu": "{body} — {name}: nincs nyugtázva (elküldve {date}, emlékeztető {reminded})",
        "en": "{body} — {name}: not acknowledged (sent {date}, reminded {reminded})",
    },
    "ack_status.line_queued": {
        "sr-Latn": "{body} — {name}: nije potvrđeno (još nije poslato)",
        "hu": "{body} — {name}: nincs nyugtázva (még nincs elküldve)",
        "en": "{body} — {name}: not acknowledged (not sent yet)",
    },
    "ack_status.line_unreachable": {
        "sr-Latn": "{body} — {name}: nema čet (nije poslato)",
        "hu": "{body} — {name}: nincs csevegése (nem ment el)",
        "en": "{body} — {name}: no chat (not sent)",
    },
}

NEW_MESSAGES: Messages = {
    "broadcast.unknown_similar": texts(
        "Ne prepoznajem organ „{name}” tačno. Da li ste mislili: {similar}? Navedite tačan "
        "naziv ili šifru.",
        "Nem ismerem fel pontosan a(z) „{name}” szervet. Erre gondolt: {similar}? Adja meg a "
        "pontos nevét vagy kódját.",
        "I do not recognise the body “{name}” exactly. Did you mean: {similar}? Give its exact "
        "name or code.",
    ),
    "broadcast.preview_title": texts(
        "Pregled slanja: {ref} „{title}”",
        "Küldés előnézete: {ref} „{title}”",
        "Broadcast preview: {ref} “{title}”",
    ),
    "broadcast.f_bodies": texts("Organi", "Szervek", "Bodies"),
    "broadcast.f_by_chat": texts(
        "Dobijaju je sada u četu", "Most csevegésben kapják meg", "Will get it by chat now"
    ),
    "broadcast.f_already": texts(
        "Već su je dobili ranije", "Korábban már megkapták", "Already got it earlier"
    ),
    "broadcast.f_no_chat": texts(
        "Bez povezanog četa (samo se evidentira)",
        "Nincs összekapcsolt csevegés (csak nyilvántartva)",
        "No linked chat (recorded only)",
    ),
    "broadcast.f_blocked": texts(
        "Isključeni kontakti (blokirali su bota)",
        "Kikapcsolt kapcsolattartók (letiltották a botot)",
        "Deactivated contacts (blocked the bot)",
    ),
    "broadcast.f_subscribers": texts(
        "Kopije pretplatnicima na smernice",
        "Másolatok az irányelvekre feliratkozottaknak",
        "Copies to guideline subscribers",
    ),
    "broadcast.send_button": texts("Pošalji", "Küldés", "Send"),
    "broadcast.send_footer": texts(
        "Dugme „Pošalji” važi do {until} i šalje tačno ovim primaocima. Možete i da ponovite "
        "komandu sa „yes” na kraju.",
        "A „Küldés” gomb {until}-ig érvényes, és pontosan ezeknek a címzetteknek küld. A "
        "parancsot „yes” szóval a végén is megismételheti.",
        "The Send button is valid until {until} and sends to exactly these recipients. You can "
        "also repeat the command with “yes” at the end.",
    ),
    "broadcast.done_title": texts(
        "Smernica {ref} je u redu za slanje",
        "A(z) {ref} irányelv sorban áll a küldésre",
        "Guideline {ref} is queued",
    ),
    "broadcast.f_queued": texts("Nove poruke", "Új üzenetek", "New messages"),
    "broadcast.status_hint": texts(
        "Ko je potvrdio prijem: /ack_status {ref}",
        "Ki nyugtázta: /ack_status {ref}",
        "Who acknowledged it: /ack_status {ref}",
    ),
    "broadcast.already_sent": texts(
        "Ovaj pregled je već poslat ({when}); ništa novo nije poslato.",
        "Ezt az előnézetet már elküldték ({when}); semmi új nem ment el.",
        "This preview was sent already ({when}); nothing new was sent.",
    ),
    "broadcast.expired": texts(
        "Ovaj pregled je istekao ({when}); ništa nije poslato. Za nov pregled pošaljite ponovo "
        "/broadcast {ref} {targets}.",
        "Ez az előnézet lejárt ({when}); semmi sem ment el. Új előnézethez küldje el újra: "
        "/broadcast {ref} {targets}.",
        "This preview expired ({when}); nothing was sent. For a new preview send "
        "/broadcast {ref} {targets} again.",
    ),
    "broadcast.refused": texts(
        "Ovo dugme za slanje nije vaše ili više ne važi; ništa nije poslato. Pregled i slanje "
        "počinju komandom /broadcast.",
        "Ez a küldés gomb nem az Öné, vagy már nem érvényes; semmi sem ment el. Az előnézet és "
        "a küldés a /broadcast paranccsal kezdődik.",
        "This Send button is not yours or is no longer valid; nothing was sent. A preview and "
        "its Send start with /broadcast.",
    ),
    "ack_status.no_chat": texts("Bez četa", "Csevegés nélkül", "No chat"),
    "ack_status.page": texts("Strana", "Oldal", "Page"),
    "ack_status.previous": texts("‹ Prethodna", "‹ Előző", "‹ Previous"),
    "ack_status.next": texts("Sledeća ›", "Következő ›", "Next ›"),
    "ack_status.no_such_page": texts(
        "Ovaj spisak ima strana: {pages}.",
        "Ennek a listának az oldalai: {pages}.",
        "This list has pages: {pages}.",
    ),
}

MESSAGES: Messages = {**OLD_MESSAGES, **NEW_MESSAGES}
