import type { ComponentChildren } from 'preact';
import type { BlockReason } from '../view.ts';

/**
 * An action's button, held where the API would refuse (`block`) or while the action is on its way (`busy`): marked
 * `aria-disabled`, not `disabled`, so it keeps the focus of a keyboard user who reached it before the hold (a batch's
 * row flags are read after the row is shown; a disabled button drops focus to <body>). Pressed while held, it refuses
 * and says why (`onRefused`); its reason is the element `describedBy` names.
 */
export function HeldButton({
  block,
  busy,
  describedBy,
  secondary = false,
  onPress,
  onRefused,
  children,
}: {
  block: BlockReason;
  busy: boolean;
  describedBy: string | undefined;
  secondary?: boolean;
  onPress: () => void;
  onRefused: (reason: NonNullable<BlockReason>) => void;
  children: ComponentChildren;
}) {
  return (
    <button
      type="button"
      class={secondary ? 'secondary' : undefined}
      aria-disabled={busy || block !== null ? 'true' : undefined}
      aria-describedby={describedBy}
      onClick={() => (busy ? undefined : block ? onRefused(block) : onPress())}
    >
      {children}
    </button>
  );
}
