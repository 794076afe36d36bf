/**
 * What an error message shows instead of a value it must not echo: one text for a value that may
 * hold credentials (an unknown key, a list given by mistake) and one for a credential itself.
 * The planning core, the component and `k3s-multus render` all use these, so the messages match.
 */

/** Shown instead of a refused value that may hold credentials. */
export const HIDDEN = "(hidden: may hold credentials)";

/** Shown instead of a credential (or a value the user passed as a secret). */
export const SECRET = "(secret)";
