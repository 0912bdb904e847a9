/**
 * The {@link PresenceSource} of the Admin SDK: `ref.on('value')` on `/presence/{uid}` of the database
 * that holds that user (one instance today; `databaseFor(uid)` lets the paths be sharded over several
 * later), and `.info/connected` of each such database, so the view knows when it may have missed a
 * change. The Admin SDK keeps one WebSocket per database instance and sends one listen per path
 * (https://firebase.google.com/docs/database/admin/retrieve-data), so N users cost N listens on one
 * socket; an update is pushed to the instance within one round trip of the write.
 */
import type { Database, DataSnapshot } from 'firebase-admin/database';
import type { GateClock, PresenceSource } from './slot-view';

export interface AdminPresenceSourceOptions {
  /** The database instance that holds `/presence/{uid}` of `uid`. */
  readonly databaseFor: (uid: string) => Database;
  /** The root of the presence nodes, without slashes; `presence` in docs/protocol.md §2. */
  readonly presenceRoot: string;
  readonly clock: GateClock;
}

interface ConnectionWatch {
  /** Clock ms when the connection was lost (or, before the first connect, when the watch began). */
  disconnectedSince: number | null;
  stop(): void;
}

export function adminPresenceSource(options: AdminPresenceSourceOptions): PresenceSource {
  const { databaseFor, presenceRoot, clock } = options;
  const connections = new Map<Database, ConnectionWatch>();

  function watch(db: Database): ConnectionWatch {
    let state = connections.get(db);
    if (state) return state;
    const connected = db.ref('.info/connected');
    const watched: ConnectionWatch = {
      disconnectedSince: clock.now(),
      stop: () => connected.off('value', callback),
    };
    // `.info/connected` is local to the SDK: no read is billed for it. One per database instance,
    // attached until the gate closes.
    const callback = connected.on('value', (snapshot: DataSnapshot) => {
      if (snapshot.val() === true) watched.disconnectedSince = null;
      else if (watched.disconnectedSince === null) watched.disconnectedSince = clock.now();
    });
    state = watched;
    connections.set(db, watched);
    return watched;
  }

  return {
    listen(uid, onValue, onError) {
      const db = databaseFor(uid);
      watch(db);
      const ref = db.ref(`${presenceRoot}/${uid}`);
      const callback = ref.on(
        'value',
        (snapshot: DataSnapshot) => onValue(snapshot.val()),
        (error: Error) => onError(error),
      );
      return () => ref.off('value', callback);
    },
    disconnectedSince(uid) {
      return connections.get(databaseFor(uid))?.disconnectedSince ?? null;
    },
    close() {
      for (const watched of connections.values()) watched.stop();
      connections.clear();
    },
  };
}
