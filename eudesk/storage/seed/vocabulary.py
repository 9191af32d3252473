"""Words the demo data is made of: invented people, plausible project themes, real places."""

from __future__ import annotations

from eudesk.storage.models import DocumentStatus, GuidelineAudience, Locale

FIRST_NAMES = (
    "Ana", "Marko", "Jelena", "Nikola", "Milica", "Stefan", "Ivana", "Dragan", "Snežana", "Miloš",
    "Tamara", "Zoran", "Marija", "Dejan", "Katarina", "Vladimir", "Gordana", "Aleksandar",
    "Jovana", "Đorđe", "Bojana", "Nenad", "Dragana", "Srđan", "Tímea", "Zoltán", "Erika",
    "Attila", "Ildikó", "Lászlo", "Jana", "Ján", "Ljiljana", "Branislav", "Vesna", "Goran",
)  # fmt: skip
LAST_NAMES = (
    "Petrović", "Jovanović", "Nikolić", "Marković", "Đorđević", "Stojanović", "Ilić", "Pavlović",
    "Kovačević", "Todorović", "Milošević", "Popović", "Radović", "Stanković", "Lazić", "Kostić",
    "Simić", "Vuković", "Babić", "Tomić", "Kiš", "Nađ", "Horvat", "Sabo", "Varga", "Molnar",
    "Tot", "Hrubik", "Ćirić", "Mitrović", "Savić", "Knežević",
)  # fmt: skip
OFFICERS = (
    "Jelena Marković", "Nikola Petrović", "Ivana Stojanović", "Dragan Ilić", "Milica Kovačević",
    "Zoltán Varga", "Snežana Todorović", "Marko Lazić", "Tamara Simić", "Vladimir Popović",
)  # fmt: skip
CONTACT_POSITIONS = (
    "koordinator za EU projekte",
    "referent za međuregionalnu saradnju",
    "šef kancelarije za lokalni ekonomski razvoj",
    "savetnik za evropske integracije",
)
HOLDER_POSITIONS = (
    "pokrajinski sekretar", "zamenik pokrajinskog sekretara", "pomoćnik pokrajinskog sekretara",
    "podsekretar", "savetnik", "načelnik odeljenja", "šef Kancelarije u Briselu",
)  # fmt: skip

# Weights of the programmes among demo projects; EUSDR is a strategy and funds no projects.
PROGRAMME_WEIGHTS = {
    "HUSRB": 26, "ROSRB": 16, "HRSRB": 16, "SRBBIH": 6, "DANUBE": 10, "ADRION": 4, "IPA3": 8,
    "HORIZON": 5, "ERASMUS": 5, "CREATIVE": 2, "DIGITAL": 1, "FISCALIS": 1,
}  # fmt: skip
# Total budget range (EUR) and the EU share of it, per programme.
PROGRAMME_BUDGETS = {
    "HUSRB": (150_000, 1_800_000, 85), "ROSRB": (150_000, 1_500_000, 85),
    "HRSRB": (120_000, 1_200_000, 85), "SRBBIH": (100_000, 600_000, 85),
    "DANUBE": (1_000_000, 2_800_000, 80), "ADRION": (800_000, 2_000_000, 85),
    "IPA3": (300_000, 5_000_000, 90), "HORIZON": (400_000, 3_000_000, 95),
    "ERASMUS": (30_000, 400_000, 80), "CREATIVE": (60_000, 400_000, 60),
    "DIGITAL": (500_000, 2_000_000, 50), "FISCALIS": (50_000, 200_000, 90),
}  # fmt: skip
# Vojvodina districts (ISO 3166-2) in each programme's eligible area; absent = all seven.
PROGRAMME_DISTRICTS = {
    "ROSRB": ("RS-02", "RS-03", "RS-04"),
    "HRSRB": ("RS-01", "RS-05", "RS-06", "RS-07"),
    "SRBBIH": ("RS-07",),
}
# Real towns, counties and institutions across the borders, as project partners.
FOREIGN_PARTNERS = {
    "HU": tuple((name, "Hungary") for name in (
        "Szeged Megyei Jogú Város Önkormányzata", "Szegedi Tudományegyetem",
        "Csongrád-Csanád Vármegyei Önkormányzat", "Bács-Kiskun Vármegyei Önkormányzat",
        "Mórahalom Város Önkormányzata", "Baja Város Önkormányzata",
        "Kiskunhalas Város Önkormányzata", "Hódmezővásárhely Megyei Jogú Város",
        "Makó Város Önkormányzata", "Kecskemét Megyei Jogú Város",
    )),
    "RO": tuple((name, "Romania") for name in (
        "Consiliul Județean Timiș", "Municipiul Timișoara", "Universitatea Politehnica Timișoara",
        "Orașul Jimbolia", "Consiliul Județean Caraș-Severin", "Municipiul Reșița", "Orașul Deta",
        "Municipiul Drobeta-Turnu Severin",
    )),
    "HR": tuple((name, "Croatia") for name in (
        "Osječko-baranjska županija", "Vukovarsko-srijemska županija", "Grad Osijek",
        "Grad Vukovar", "Grad Vinkovci", "Grad Ilok", "Grad Beli Manastir",
        "Sveučilište Josipa Jurja Strossmayera u Osijeku",
    )),
    "BA": tuple((name, "Bosnia and Herzegovina") for name in (
        "Grad Bijeljina", "Grad Zvornik", "Opština Ugljevik", "Opština Lopare",
    )),
    "EU": (
        ("Donauhanse Wien", "Austria"), ("Regionalna razvojna agencija Pomurje", "Slovenia"),
        ("Regione del Veneto", "Italy"), ("Agentia pentru Dezvoltare Regionala Vest", "Romania"),
        ("Bay Zoltán Nonprofit Kft.", "Hungary"), ("Technische Universität Wien", "Austria"),
        ("Region of Central Macedonia", "Greece"), ("Ruse Municipality", "Bulgaria"),
        ("Universität Ulm", "Germany"), ("Slovak University of Technology", "Slovakia"),
    ),
}  # fmt: skip
PROGRAMME_PARTNER_POOL = {"HUSRB": "HU", "ROSRB": "RO", "HRSRB": "HR", "SRBBIH": "BA"}
SERBIAN_PARTNERS = (
    "Univerzitet u Novom Sadu", "Razvojna agencija Vojvodine", "Turistička organizacija Vojvodine",
    "Pokrajinski zavod za zaštitu prirode", "Regionalna razvojna agencija Banat",
    "Regionalna razvojna agencija Srem", "Regionalna razvojna agencija Bačka",
    "Javno vodoprivredno preduzeće Vode Vojvodine", "Muzej Vojvodine", "Naučni park Novi Sad",
)  # fmt: skip

ACRONYM_HEADS = (
    "AGRI", "AQUA", "BIKE", "CULT", "DIGI", "ECO", "ENER", "HERIT", "INNO", "MED", "SAFE",
    "SMART", "TOUR", "WATER", "YOUTH", "GREEN", "FLOOD", "EDU", "HEALTH", "TISA", "DANU", "BANAT",
)  # fmt: skip
ACRONYM_TAILS = ("NET", "LINK", "BRIDGE", "CB", "PLUS", "HUB", "TRAIL", "BORDER", "REG", "SHARE")
# (English title, Serbian title) of invented but typical cross-border project themes.
THEMES = (
    ("Cross-border cycling route along the Tisa river",
     "Prekogranična biciklistička ruta duž Tise"),
    ("Joint flood risk management in the border area",
     "Zajedničko upravljanje rizikom od poplava u pograničnom području"),
    ("Revitalisation of shared cultural heritage", "Revitalizacija zajedničkog kulturnog nasleđa"),
    ("Energy efficiency of public buildings", "Energetska efikasnost javnih objekata"),
    ("Cross-border emergency medical services", "Prekogranične službe hitne medicinske pomoći"),
    ("Short food supply chains for small farmers",
     "Kratki lanci snabdevanja hranom za male poljoprivrednike"),
    ("Youth entrepreneurship and employability", "Preduzetništvo i zapošljivost mladih"),
    ("Protection of wetlands and biodiversity", "Zaštita vlažnih staništa i biodiverziteta"),
    ("Digital services for local self-governments", "Digitalne usluge lokalnih samouprava"),
    ("Thermal water tourism development", "Razvoj turizma zasnovanog na termalnim vodama"),
    ("Inclusive education for minority communities",
     "Inkluzivno obrazovanje za zajednice nacionalnih manjina"),
    ("Groundwater quality monitoring", "Praćenje kvaliteta podzemnih voda"),
    ("Wine roads across the border", "Vinski putevi preko granice"),
    ("Modernisation of border crossing access roads",
     "Modernizacija pristupnih puteva graničnim prelazima"),
    ("Social care services for the elderly", "Usluge socijalne zaštite za starije osobe"),
    ("Smart irrigation in agriculture", "Pametno navodnjavanje u poljoprivredi"),
)  # fmt: skip

DEADLINE_LABELS = {
    "report": ("Izveštaj o napretku br. {n}", "Polugodišnji izveštaj", "Završni izveštaj"),
    "cofinancing_request": ("Zahtev za pokrajinsko sufinansiranje", "Zahtev za predfinansiranje"),
    "payment_claim": ("Zahtev za plaćanje br. {n}", "Zahtev za isplatu avansa"),
    "other": (
        "Sastanak upravnog odbora projekta", "Dostava dokumentacije kontroli prvog nivoa (FLC)",
        "Rok za ponude u javnoj nabavci", "Završna konferencija", "Izmena ugovora o partnerstvu",
    ),
}  # fmt: skip
PROGRAMME_EVENTS = (
    "{n}. poziv za dostavljanje predloga projekata – zatvaranje",
    "{n}. poziv – rok za dostavljanje koncept-nota",
    "Ciljani poziv za strateške projekte – zatvaranje",
)
PROGRAMME_OTHER = ("Info-dan o otvorenom pozivu", "Registracija za godišnji forum")

MEETING_CHAPTERS = (23, 24, 22, 27, 15, 14, 5, 32, 18, 11, 12, 19, 26, 33, 10, 20, 28)
# The secretariat whose portfolio a chapter touches sends the province's representative.
CHAPTER_SECRETARIAT = {
    5: "PS-FINANCE", 10: "PS-CULTURE", 11: "PS-AGRICULTURE", 12: "PS-AGRICULTURE",
    14: "PS-ENERGY", 15: "PS-ENERGY", 18: "PS-FINANCE", 19: "PS-SOCIAL", 20: "PS-ECONOMY",
    22: "PS-REGIONAL", 23: "PS-EDUCATION", 24: "PS-EDUCATION", 26: "PS-CULTURE",
    27: "PS-URBANISM", 28: "PS-HEALTH", 32: "PS-FINANCE", 33: "PS-FINANCE",
}  # fmt: skip
MEETING_PLACES = (
    ("Novi Sad, Vlada AP Vojvodine, Bulevar Mihajla Pupina 16, sala 1", 10),
    ("Novi Sad, Skupština AP Vojvodine, Vladike Platona bb", 3),
    ("Beograd, Ministarstvo za evropske integracije, Nemanjina 34", 7),
    ("Brisel, Misija Republike Srbije pri EU (Kancelarija AP Vojvodine)", 3),
    ("Onlajn (video konferencija)", 2),
)
AGENDA_ITEMS = (
    "Usvajanje zapisnika sa prethodnog sastanka",
    "Stanje ispunjenosti merila za zatvaranje poglavlja",
    "Prilozi AP Vojvodine za izveštaj Evropske komisije",
    "Usklađivanje pokrajinskih propisa sa pravnim tekovinama EU",
    "Akcioni plan za poglavlje: izveštaj o sprovođenju",
    "Pregled nalaza skrininga",
    "Planiranje korišćenja sredstava IPA III",
    "Informacija o radu Kancelarije AP Vojvodine u Briselu",
    "Razno",
)

# The order a document's status moves through; returned/expired/revoked end a delivered one.
DOCUMENT_PATH = (
    DocumentStatus.REQUESTED, DocumentStatus.SUBMITTED, DocumentStatus.ISSUED,
    DocumentStatus.DELIVERED,
)  # fmt: skip
DOCUMENT_ENDINGS = (DocumentStatus.RETURNED, DocumentStatus.EXPIRED, DocumentStatus.REVOKED)
VISA_COUNTRIES = (
    "United Kingdom", "United States", "Canada", "China", "Azerbaijan", "India", "Ireland",
    "Australia", "Kazakhstan", "Japan",
)  # fmt: skip
VISA_TYPES = ("C (short stay)", "official visit", "business", "diplomatic")

GUIDELINES = (
    (
        "Smernice za učešće JLS u pozivima Interreg IPA programa",
        "Kako se lokalne samouprave pripremaju za pozive: partnerstvo, budžet, sufinansiranje.",
        GuidelineAudience.ALL_LSGU, Locale.SR_LATN,
    ),
    (
        "Упутство за подношење захтева за покрајинско суфинансирање",
        "Рокови, обрасци и документација за захтев за суфинансирање ЕУ пројеката.",
        GuidelineAudience.ALL, Locale.SR_CYRL,
    ),
    (
        "Útmutató az előfinanszírozási kérelmekhez",
        "Az önkormányzatok előfinanszírozási kérelmeinek menete és határidői.",
        GuidelineAudience.ALL_LSGU, Locale.HU,
    ),
    (
        "Guidance on reporting for Danube Region projects",
        "Reporting periods, the first level control and the payment claim timeline.",
        GuidelineAudience.PROVINCIAL, Locale.EN,
    ),
    (
        "Smernice za vidljivost projekata finansiranih iz EU fondova",
        "Obavezni logotipi, table na gradilištu, objave na društvenim mrežama.",
        GuidelineAudience.ALL, Locale.SR_LATN,
    ),
)  # fmt: skip

# Real partner regions of AP Vojvodina; the agreements themselves are demo rows.
AGREEMENTS = (
    ("Bács-Kiskun vármegye", "Hungary", "privreda, turizam, kultura"),
    ("Csongrád-Csanád vármegye", "Hungary", "prekogranična saradnja, obrazovanje"),
    ("Județul Timiș", "Romania", "infrastruktura, poljoprivreda, kultura"),
    ("Osječko-baranjska županija", "Croatia", "EU fondovi, turizam"),
    ("Vukovarsko-srijemska županija", "Croatia", "nacionalne manjine, privreda"),
    ("Južnomoravski kraj (Jihomoravský kraj)", "Czech Republic", "nauka, inovacije"),
)
