package sandbox

// Synthetic vocabulary for the generator. The names are common given names and family
// names from several countries; combined at random they belong to no one in particular.

var givenNames = []string{
	"Emma", "Liam", "Olivia", "Noah", "Amelia", "Oliver", "Sophie", "Lucas", "Mia", "Elias",
	"Chloé", "Hugo", "Léa", "Louis", "Hannah", "Finn", "Lena", "Jonas", "Aoife", "Seán",
	"Siobhán", "Cian", "Sofia", "Mateo", "Lucía", "Alejandro", "Giulia", "Lorenzo", "Ana",
	"João", "Maja", "Jakub", "Ingrid", "Lars", "Priya", "Arjun", "Yuki", "Haruto", "Amara",
	"Kwame", "Fatima", "Omar", "Zoë", "Ruairí", "Agnieszka", "Mehmet", "Elif", "Nora", "Aarav",
}

var familyNames = []string{
	"Smith", "Murphy", "O'Brien", "Kelly", "Müller", "Schmidt", "Schneider", "Dubois", "Martin",
	"Bernard", "García", "Fernández", "López", "Rossi", "Russo", "Bianchi", "Silva", "Santos",
	"Kowalski", "Nowak", "Johansson", "Andersen", "Nielsen", "Patel", "Sharma", "Tanaka",
	"Suzuki", "Okafor", "Mensah", "Haddad", "Yılmaz", "Walsh", "Byrne", "Novak", "van Dijk",
	"de Vries", "Jansen", "Brown", "Wilson", "Taylor", "Nguyen", "Kim", "Cohen", "Lefebvre",
}

var mailDomains = []string{
	"gmail.com", "outlook.com", "yahoo.co.uk", "gmx.de", "orange.fr", "hotmail.es", "libero.it",
	"icloud.com", "proton.me", "web.de", "eircom.net", "example-corp.com", "acme-widgets.io",
}

type placeInfo struct {
	country, code, continent, city, region string
	street                                 []string
	postcode                               func(r *rng) string
}

var places = []placeInfo{
	{"Ireland", "IE", "EU", "Dublin", "Leinster", []string{"Grafton Street", "Baggot Street Lower", "Dame Street", "Thomas Street"},
		func(r *rng) string {
			return "D0" + string(rune('1'+r.intn(8))) + " " + r.upper(1) + r.digits(2) + r.upper(1)
		}},
	{"United Kingdom", "GB", "EU", "London", "England", []string{"Baker Street", "Old Kent Road", "Camden High Street", "Fleet Street"},
		func(r *rng) string { return "NW" + r.digits(1) + " " + r.digits(1) + r.upper(2) }},
	{"Germany", "DE", "EU", "Berlin", "Berlin", []string{"Friedrichstraße", "Kastanienallee", "Torstraße", "Oranienstraße"},
		func(r *rng) string { return "10" + r.digits(3) }},
	{"France", "FR", "EU", "Paris", "Île-de-France", []string{"rue de Rivoli", "boulevard Voltaire", "rue Oberkampf", "avenue de la République"},
		func(r *rng) string { return "750" + r.digits(2) }},
	{"Spain", "ES", "EU", "Madrid", "Madrid", []string{"Calle de Alcalá", "Gran Vía", "Calle Mayor", "Paseo del Prado"},
		func(r *rng) string { return "280" + r.digits(2) }},
	{"United States", "US", "NA", "San Francisco", "California", []string{"Market Street", "Mission Street", "Valencia Street", "Howard Street"},
		func(r *rng) string { return "941" + r.digits(2) }},
	{"Netherlands", "NL", "EU", "Amsterdam", "North Holland", []string{"Prinsengracht", "Keizersgracht", "Damrak", "Kalverstraat"},
		func(r *rng) string { return "10" + r.digits(2) + " " + r.upper(2) }},
	{"Australia", "AU", "OC", "Sydney", "New South Wales", []string{"George Street", "Pitt Street", "Oxford Street", "King Street"},
		func(r *rng) string { return "20" + r.digits(2) }},
}

var companyNames = []string{
	"Northwind Traders", "Globex Ltd", "Initech GmbH", "Umbrella Logistics", "Hooli Europe",
	"Stark Analytics", "Wayne Foods", "Acme Widgets", "Vandelay Imports", "Soylent SA",
	"Tyrell Systems", "Cyberdyne BV", "Gringotts Finance", "Wonka Confectionery", "Oceanic Air",
}

var industries = []string{"Retail", "Finance", "Software", "Logistics", "Healthcare", "Education"}

var tagNames = []string{"VIP", "churn-risk", "beta", "enterprise", "billing-issue", "gdpr-request", "partner", "newsletter"}

var segmentNames = []string{"Active users", "New leads", "Slipping away", "Paying customers", "EU customers"}

var eventNames = []string{"logged-in", "viewed-pricing", "upgraded-plan", "invited-teammate", "exported-report", "changed-password", "downloaded-invoice"}

var subjects = []string{
	"Problem with my invoice", "Cannot log in", "Refund request", "Change of address",
	"Question about my order", "Card was charged twice", "Please delete my account", "Delivery delayed",
}

var adminNames = []string{"Aisling Doyle", "Marco Bruni", "Sam Carter", "Nadia Petrova", "Tomás Ruiz", "Grace Okoye"}
