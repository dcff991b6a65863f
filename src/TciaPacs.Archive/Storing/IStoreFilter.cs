namespace TciaPacs.Archive.Storing;

/// <summary>
/// A store-time filter: a pure decider run in a fixed order by <see cref="StorePipeline"/> after validation and before
/// commit. It must not change <see cref="StoreContext.Dataset"/>: to edit, return <see cref="FilterDecision.Modify"/>
/// with a new data set. De-identification and the PHI scanner plug in here.
/// </summary>
public interface IStoreFilter
{
    string Name { get; }

    FilterDecision Decide(StoreContext context);
}
