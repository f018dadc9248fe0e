using WechatGateway.Groups;
using WechatGateway.Stores;

namespace WechatGateway.Tests.Stores;

/// <summary>The in-memory order of stores that steering reads: it must be the order of sorting every store.</summary>
public sealed class StoreLocationsTests
{
    private static List<StoreLocations.StoreDistance> SortedAll(StoreLocations.StoreLocation[] stores, GeoPoint p) =>
        [.. stores.Select(s => new StoreLocations.StoreDistance(s.Id, Math.Round(p.DistanceKm(s.Lat, s.Lng), 2))).OrderBy(s => s.DistanceKm).ThenBy(s => s.Id)];

    [TestCase(31.23, 121.47, TestName = "InACityOfManyStoresTheOrderIsThatOfSortingEveryStore")]
    [TestCase(35.0, 110.0, TestName = "FarFromEveryStoreTheOrderIsThatOfSortingEveryStore")]
    [TestCase(-33.9, -70.6, TestName = "OnTheOtherSideOfTheEarthTheOrderIsThatOfSortingEveryStore")]
    public void NearestFirstIsTheOrderOfSortingEveryStoreByRoundedDistanceThenId(double lat, double lng)
    {
        // 3,000 stores around Shanghai, many on the same few spots (equal distances: the id decides), some far away.
        var random = new Random(7);
        var stores = Enumerable.Range(1, 3000).Select(i => i % 5 == 0
                ? new StoreLocations.StoreLocation((ulong)i, 31.2 + (i % 3 * 0.00001), 121.4 + (i % 7 * 0.00001))
                : new StoreLocations.StoreLocation((ulong)i, 20 + (random.NextDouble() * 25), 100 + (random.NextDouble() * 25)))
            .OrderBy(_ => random.Next()).ToArray();
        var snapshot = new StoreLocations.Snapshot(1, stores);
        var p = new GeoPoint(lat, lng);

        var first = snapshot.ByDistance(p).Take(100).ToList();
        var all = snapshot.ByDistance(p).ToList();

        var expected = SortedAll(stores, p);
        Assert.That(first, Is.EqualTo(expected.Take(100)), "the first step");
        Assert.That(all, Is.EqualTo(expected), "past the first step");
    }

    [Test]
    public void StoresThatRoundToTheSameDistanceAsTheLastOfTheFirstStepAreOrderedByIdAcrossIt()
    {
        // 200 stores 1.00 km north of the member, give or take a metre: all round to 1.00 km, so only the id orders them.
        var stores = Enumerable.Range(1, 200)
            .Select(i => new StoreLocations.StoreLocation((ulong)(1000 - i), 31.2 + ((1.0 + ((i % 3) - 1) * 0.001) / 111.195), 121.4))
            .ToArray();
        var p = new GeoPoint(31.2, 121.4);

        var order = new StoreLocations.Snapshot(1, stores).ByDistance(p).Take(80).ToList();

        Assert.That(order, Is.EqualTo(SortedAll(stores, p).Take(80)));
        Assert.That(order.Select(s => s.Id), Is.Ordered, "equal distances: lowest id first");
    }
}
