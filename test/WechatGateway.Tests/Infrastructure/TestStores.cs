using WechatGateway.Stores;

namespace WechatGateway.Tests.Infrastructure;

/// <summary>
/// Stores placed straight in the database, for tests about something else that need a store to exist; marked changed
/// as every write to <c>store</c> must be, so steering's in-memory copy of the stores sees them.
/// </summary>
public static class TestStores
{
    public static async Task AddAsync(long id, bool active = true) =>
        await Database.ExecuteAsync(
            """
            INSERT INTO store (id, name, city, lat, lng, active, created_at, updated_at)
            VALUES (@id, CONCAT('store ', @id), 'Shanghai', 31.2286, 121.448, @active, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6));
            """ + StoreLocations.ChangedSql,
            new { id, active });
}
