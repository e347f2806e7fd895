#ifndef GUICHET_KEYS_H
#define GUICHET_KEYS_H
/* Keys become actions before any screen sees them (the way tig maps keys to requests). */
#include <wchar.h>

#define ACTIONS(_) \
	_(NONE,      "") \
	_(CHAR,      "") \
	_(NEXT,      "Tab, ↓ : champ ou choix suivant") \
	_(PREV,      "Maj-Tab, ↑ : champ ou choix précédent") \
	_(LEFT,      "") \
	_(RIGHT,     "") \
	_(HOME,      "Début, Fin : début ou fin du champ") \
	_(END,       "") \
	_(BACKSPACE, "Retour arrière, Suppr : effacer") \
	_(DELETE,    "") \
	_(SUBMIT,    "Entrée : valider") \
	_(BACK,      "Échap : annuler la requête, ou revenir") \
	_(QUIT,      "Ctrl-Q : quitter") \
	_(HELP,      "F1 : afficher ou fermer cette aide") \
	_(SIGNUP,    "F2 : inscription (écran Connexion)") \
	_(FORGOT,    "F3 : mot de passe oublié (écran Connexion)") \
	_(REVEAL,    "F4 : afficher ou masquer le mot de passe") \
	_(RESEND,    "F5 : renvoyer le code / actualiser") \
	_(RESIZE,    "")

enum action {
#define ACTION_ENUM(name, help) ACT_##name,
	ACTIONS(ACTION_ENUM)
#undef ACTION_ENUM
	ACT_COUNT
};

struct key {
	enum action action;
	wchar_t ch; /* with ACT_CHAR */
};

/* Maps what wget_wch returned (rc OK or KEY_CODE_YES) to an action. */
struct key keys_map(int rc, wint_t wch);
const char *keys_help(enum action a);

#endif
