package lang

import "testing"

func TestDetect_NamesTheLanguageOfASentenceAndNothingForShortText(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"Guten Tag, ich habe letzte Woche eine Bestellung aufgegeben und sie ist noch nicht angekommen.", "de"},
		{"Goedemiddag, ik heb vorige week een bestelling geplaatst maar die is nog steeds niet bezorgd.", "nl"},
		{"Hello, I ordered a jacket last week and it still has not arrived. Could you check where it is?", "en"},
		{"Bonjour, j'ai commandé une veste la semaine dernière et je ne l'ai toujours pas reçue.", "fr"},
		{"Hola, la semana pasada hice un pedido y todavía no ha llegado a mi casa. ¿Pueden ayudarme?", "es"},
		{"Buongiorno, la settimana scorsa ho ordinato una giacca ma non è ancora arrivata a casa mia.", "it"},
		// Too short to tell: no guess.
		{"Danke", ""},
		{"ok thanks", ""},
		{"Order 12345", ""},
		{"", ""},
		// Not a language Loket works with.
		{"Здравствуйте, я заказал куртку на прошлой неделе, и она до сих пор не пришла.", ""},
	} {
		if got := Detect(c.text); got != c.want {
			t.Errorf("Detect(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

func FuzzDetect(f *testing.F) {
	f.Add("Guten Tag, ich habe eine Frage zu meiner Rechnung.")
	f.Add("\xff\xfe not utf-8 at all but long enough to be looked at")
	f.Fuzz(func(t *testing.T, text string) {
		got := Detect(text)
		if got == "" {
			return
		}
		for _, l := range Supported {
			if got == l {
				return
			}
		}
		t.Fatalf("Detect(%q) = %q, not a supported language", text, got)
	})
}

func TestDetect_ShortQuestionsNeedTheirFunctionWordsToAgree(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"Hoe kan ik mijn schoenen terugsturen naar jullie?", "nl"},
		{"ik ben mijn wachtwoord vergeten", "nl"},
		{"How can I send back my shoes?", "en"},
		{"Ich möchte mit einem Mitarbeiter sprechen", "de"},
		{"Wo ist meine Bestellung geblieben?", "de"},
		{"xylophone quantum entanglement theory", ""},
	} {
		if got := Detect(c.text); got != c.want {
			t.Errorf("Detect(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}
