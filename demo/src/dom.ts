/** Small DOM builders shared by the demo's views. */

/** A `<button type="button">` that calls `onClick`, disabled while the app is busy. */
export function actionButton(
  text: string,
  className: string,
  disabled: boolean,
  onClick: () => void,
): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = className;
  button.textContent = text;
  button.disabled = disabled;
  button.addEventListener('click', onClick);
  return button;
}
