"""Messages of the dispatcher itself: errors every command can meet."""

from __future__ import annotations

from eudesk.handlers.i18n import Messages

CORE_MESSAGES: Messages = {
    "error.generic_user": {
        "sr-Latn": "Taj zahtev ne mogu da izvršim.",
        "hu": "Ezt a kérést nem tudom teljesíteni.",
        "en": "I cannot do that.",
    },
    "error.usage": {
        "sr-Latn": "Ne razumem argumente. Pogledajte /help.",
        "hu": "Nem értem a paramétereket. Lásd: /help.",
        "en": "I do not understand those arguments. See /help.",
    },
    "error.permission": {
        "sr-Latn": "Nemate pravo da koristite /{command}.",
        "hu": "Nincs jogosultsága a /{command} parancshoz.",
        "en": "You are not allowed to use /{command}.",
    },
    "error.unknown_sender": {
        "sr-Latn": "Još nemate pristup. Zatražite kod za pozivnicu od koordinatora Sektora "
        "i pošaljite /start KOD. Dostupno je: /start, /help, /lang.",
        "hu": "Még nincs hozzáférése. Kérjen meghívókódot a Szektor koordinátorától, "
        "majd küldje el: /start KÓD. Elérhető: /start, /help, /lang.",
        "en": "You do not have access yet. Ask a coordinator of the Sector for an invite code "
        "and send /start CODE. Available now: /start, /help, /lang.",
    },
    "error.unknown_command": {
        "sr-Latn": "Nepoznata komanda /{command}. Da li ste mislili /{suggestion}?",
        "hu": "Ismeretlen parancs: /{command}. Erre gondolt: /{suggestion}?",
        "en": "Unknown command /{command}. Did you mean /{suggestion}?",
    },
    "error.not_understood": {
        "sr-Latn": "Nisam razumeo. Da li ste mislili /{suggestion}? Sve komande: /help",
        "hu": "Nem értettem. Erre gondolt: /{suggestion}? Minden parancs: /help",
        "en": "I did not understand. Did you mean /{suggestion}? All commands: /help",
    },
    "error.empty": {
        "sr-Latn": "Poruka je prazna. Pošaljite /help za spisak komandi.",
        "hu": "Az üzenet üres. A parancsok listája: /help",
        "en": "The message is empty. Send /help for the list of commands.",
    },
    "error.too_long": {
        "sr-Latn": "Poruka je predugačka (najviše {limit} znakova).",
        "hu": "Az üzenet túl hosszú (legfeljebb {limit} karakter).",
        "en": "The message is too long (at most {limit} characters).",
    },
    "error.not_found": {
        "sr-Latn": "Nema ničeg pod tom oznakom.",
        "hu": "Ezzel a jelöléssel nincs semmi.",
        "en": "Nothing has that reference.",
    },
    "error.rate_limited": {
        "sr-Latn": "Previše upita u kratkom roku. Pokušajte ponovo za minut.",
        "hu": "Túl sok lekérdezés rövid idő alatt. Próbálja újra egy perc múlva.",
        "en": "Too many lookups in a short time. Try again in a minute.",
    },
    "error.unavailable": {
        "sr-Latn": "Baza podataka trenutno nije dostupna. Pokušajte ponovo za nekoliko minuta.",
        "hu": "Az adatbázis jelenleg nem érhető el. Próbálja újra néhány perc múlva.",
        "en": "The database is unavailable right now. Please try again in a few minutes.",
    },
    "error.internal": {
        "sr-Latn": "Došlo je do greške na našoj strani. Zabeležena je; pokušajte ponovo kasnije.",
        "hu": "Hiba történt nálunk. Rögzítettük; próbálja újra később.",
        "en": "Something went wrong on our side. It has been logged; please try again later.",
    },
}
