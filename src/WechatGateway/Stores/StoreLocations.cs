using Dapper;
using MySqlConnector;
using WechatGateway.Groups;

namespace WechatGateway.Stores;

/// <summary>
/// Where the active stores are, held in memory, so steering orders the stores around a member without a query: a
/// brand has thousands of stores, not millions, and their coordinates fit in a few hundred kilobytes. Every write to
/// <c>store</c> runs <see cref="ChangedSql"/> in its transaction; steering reads the version in the same round trip as
/// the groups it asks for, and a snapshot of another version is replaced (read in the caller's transaction) before
/// its answer is used, so a recommendation always ranks the stores as the database holds them.
/// </summary>
public sealed class StoreLocations
{
    /// <summary>Marks the stores changed. A timestamp in µs, never lower than the last version plus one, so a version never repeats even if the row is deleted.</summary>
    public const string ChangedSql = """
        INSERT INTO config_version (name, version) VALUES ('stores', FLOOR(UNIX_TIMESTAMP(NOW(6)) * 1000000))
        ON DUPLICATE KEY UPDATE version = GREATEST(version + 1, VALUES(version))
        """;

    /// <summary>The version of the stores; 0 when no store was ever written through <see cref="ChangedSql"/>.</summary>
    public const string VersionSql = "SELECT COALESCE((SELECT version FROM config_version WHERE name = 'stores'), 0)";

    private Snapshot _current = new(-1, []);

    /// <summary>The snapshot held now (version -1 before the first load).</summary>
    public Snapshot Current => Volatile.Read(ref _current);

    /// <summary>Reads the active stores in the caller's transaction; keeps the snapshot for later calls unless a newer one is held.</summary>
    public async Task<Snapshot> LoadAsync(MySqlConnection c, MySqlTransaction? t, CancellationToken ct)
    {
        const string sql = $"""
            {VersionSql};
            SELECT id AS Id, CAST(lat AS DOUBLE) AS Lat, CAST(lng AS DOUBLE) AS Lng FROM store WHERE active = 1 ORDER BY id;
            """;
        await using var results = await c.QueryMultipleAsync(new CommandDefinition(sql, transaction: t, cancellationToken: ct));
        var version = await results.ReadSingleAsync<long>();
        var stores = (await results.ReadAsync<StoreLocation>()).ToArray();
        var loaded = new Snapshot(version, stores);
        var held = Current;
        while (held.Version < version && Interlocked.CompareExchange(ref _current, loaded, held) is var seen && seen != held)
        {
            held = seen;
        }

        return loaded;
    }

    public sealed record StoreLocation(ulong Id, double Lat, double Lng);

    /// <summary>A store and its distance from the member, in km rounded to 10 m (as recommendations show it).</summary>
    public readonly record struct StoreDistance(ulong Id, double DistanceKm);

    /// <summary>The active stores at one version, with each store's position as a unit vector for the nearest-first search.</summary>
    public sealed class Snapshot
    {
        /// <summary>How many stores the first, cheap step orders; a recommendation rarely needs more than the nearest 8.</summary>
        private const int FirstStep = 64;

        private readonly StoreLocation[] _stores;
        private readonly double[] _x;
        private readonly double[] _y;
        private readonly double[] _z;

        public Snapshot(long version, StoreLocation[] stores)
        {
            Version = version;
            _stores = stores;
            (_x, _y, _z) = (new double[stores.Length], new double[stores.Length], new double[stores.Length]);
            for (var i = 0; i < stores.Length; i++)
            {
                (_x[i], _y[i], _z[i]) = Unit(stores[i].Lat, stores[i].Lng);
            }
        }

        public long Version { get; }

        public int Count => _stores.Length;

        /// <summary>
        /// Every active store, nearest first: by distance rounded to 10 m, then by id, exactly as sorting them all would.
        /// The first step keeps the <see cref="FirstStep"/> nearest by chord length (the straight line through the Earth
        /// grows with the great-circle distance, and costs no trigonometry), widened to every store that could round
        /// to the same distance as the last of them; only a caller that reads past those sorts every store.
        /// </summary>
        public IEnumerable<StoreDistance> ByDistance(GeoPoint p)
        {
            if (_stores.Length == 0)
            {
                yield break;
            }

            var (px, py, pz) = Unit(p.Lat, p.Lng);
            var nearest = new PriorityQueue<int, double>(FirstStep + 1, Comparer<double>.Create((a, b) => b.CompareTo(a)));
            for (var i = 0; i < _stores.Length; i++)
            {
                var chord = Chord2(i, px, py, pz);
                if (nearest.Count < FirstStep)
                {
                    nearest.Enqueue(i, chord);
                }
                else if (nearest.TryPeek(out _, out var farthest) && chord < farthest)
                {
                    nearest.DequeueEnqueue(i, chord);
                }
            }

            nearest.TryPeek(out var last, out _);
            var bound = Rounded(p, last);

            // A store farther than bound + 6 m rounds past bound; one nearer may round to it and must be in this step.
            var limit = Math.Pow(2 * Math.Sin(Math.Min(Math.PI / 2, (bound + 0.006) / (2 * GeoPoint.EarthKm))), 2);
            var step = new List<StoreDistance>(FirstStep * 2);
            for (var i = 0; i < _stores.Length; i++)
            {
                if (Chord2(i, px, py, pz) <= limit)
                {
                    step.Add(new StoreDistance(_stores[i].Id, Rounded(p, i)));
                }
            }

            step.Sort(Nearer);
            var yielded = 0;
            foreach (var store in step)
            {
                if (store.DistanceKm > bound && step.Count < _stores.Length)
                {
                    break;
                }

                yielded++;
                yield return store;
            }

            if (yielded == _stores.Length)
            {
                yield break;
            }

            // Past the first step: every store, ordered; the first `yielded` are the ones already given.
            var all = new StoreDistance[_stores.Length];
            for (var i = 0; i < _stores.Length; i++)
            {
                all[i] = new StoreDistance(_stores[i].Id, Rounded(p, i));
            }

            Array.Sort(all, Nearer);
            for (var i = yielded; i < all.Length; i++)
            {
                yield return all[i];
            }
        }

        private static int Nearer(StoreDistance a, StoreDistance b) =>
            a.DistanceKm != b.DistanceKm ? a.DistanceKm.CompareTo(b.DistanceKm) : a.Id.CompareTo(b.Id);

        private double Rounded(GeoPoint p, int i) => Math.Round(p.DistanceKm(_stores[i].Lat, _stores[i].Lng), 2);

        private double Chord2(int i, double px, double py, double pz)
        {
            var (dx, dy, dz) = (_x[i] - px, _y[i] - py, _z[i] - pz);
            return (dx * dx) + (dy * dy) + (dz * dz);
        }

        private static (double X, double Y, double Z) Unit(double lat, double lng)
        {
            var (phi, lambda) = (lat * Math.PI / 180, lng * Math.PI / 180);
            return (Math.Cos(phi) * Math.Cos(lambda), Math.Cos(phi) * Math.Sin(lambda), Math.Sin(phi));
        }
    }
}
