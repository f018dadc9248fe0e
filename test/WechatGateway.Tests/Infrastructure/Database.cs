using Dapper;
using MySqlConnector;

using WechatGateway.Tests;

namespace WechatGateway.Tests.Infrastructure;

/// <summary>Reads the test schema directly, to assert what the gateway stored.</summary>
public static class Database
{
    public static async Task<T> ScalarAsync<T>(string sql, object? param = null)
    {
        await using var connection = new MySqlConnection(TestEnvironment.MySqlConnectionString);
        return await connection.ExecuteScalarAsync<T>(sql, param) ?? throw new InvalidOperationException("no value: " + sql);
    }

    public static async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? param = null)
    {
        await using var connection = new MySqlConnection(TestEnvironment.MySqlConnectionString);
        return (await connection.QueryAsync<T>(sql, param)).AsList();
    }

    public static async Task ExecuteAsync(string sql, object? param = null)
    {
        await using var connection = new MySqlConnection(TestEnvironment.MySqlConnectionString);
        await connection.ExecuteAsync(sql, param);
    }
}
