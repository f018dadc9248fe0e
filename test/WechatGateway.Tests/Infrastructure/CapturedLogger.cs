using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace WechatGateway.Tests.Infrastructure;

/// <summary>A logger for one component built by hand in a test, keeping every line as it would be written.</summary>
public sealed class CapturedLogger<T> : ILogger<T>
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue(formatter(state, exception));
}
