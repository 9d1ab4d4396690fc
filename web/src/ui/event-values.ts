/**
 * What the views read from a DOM event: a control's value or checked state, a <details>'s open state,
 * a key, a login form's password. Typed by the fields read only, so the views type-check and render
 * in node without the DOM library.
 */

/** The value of the input, select or textarea the event came from. */
export function valueOf(ev: Event): string {
  return (ev.target as unknown as { value: string }).value;
}

/** Whether the checkbox the event came from is checked. */
export function checkedOf(ev: Event): boolean {
  return (ev.target as unknown as { checked: boolean }).checked;
}

/** Whether the <details> that fired `toggle` is now open. */
export function openOf(ev: Event): boolean {
  return (ev.target as unknown as { open: boolean }).open;
}

/** The key of a keyboard event ("Escape", "Enter"). */
export function keyOf(ev: Event): string | undefined {
  return (ev as Event & { key?: string }).key;
}

/** The form a submit event came from: one named field's value, and a way to clear it. */
export function submittedForm(ev: Event): { field(name: string): string; reset(): void } {
  const form = ev.target as unknown as { elements: { namedItem(name: string): { value: string } | null }; reset(): void };
  return { field: (name) => form.elements.namedItem(name)?.value ?? '', reset: () => form.reset() };
}
