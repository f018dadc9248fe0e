using Dapper;
using MySqlConnector;

namespace WechatGateway.Stores;

/// <summary>What other capabilities ask about stores.</summary>
public static class StoreQueries
{
    /// <summary>Whether <paramref name="storeId"/> is a store a member may choose now: it exists and is active.</summary>
    public static async Task<bool> IsActiveAsync(MySqlConnection connection, long storeId, CancellationToken ct)
    {
        const string sql = "SELECT COUNT(*) FROM store WHERE id = @storeId AND active = 1";
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(sql, new { storeId }, cancellationToken: ct)) == 1;
    }
}
