using System.Diagnostics;

namespace WechatGateway.Tests.Infrastructure;

/// <summary>Counts the MySQL commands a call sends: MySqlConnector starts an activity for every connection it opens and command it sends.</summary>
public static class MySqlCommands
{
    /// <summary>Counts this process's commands, so the call must be the only one running.</summary>
    public static async Task<(T Result, int Commands)> CountAsync<T>(Func<Task<T>> call)
    {
        var commands = 0;
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "MySqlConnector",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStarted = _ => Interlocked.Increment(ref commands),
        };
        ActivitySource.AddActivityListener(listener);
        var result = await call();
        return (result, commands);
    }
}
