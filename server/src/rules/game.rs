//! [`Game`]: a game's name, its declared state and the factory of its per-room rules.

use std::fmt;
use std::sync::Arc;

use tickstate_shared::schema::SchemaError;

use super::GameRules;
use crate::schema::{Schema, SchemaBuilder};

type Factory = dyn Fn(&str) -> Box<dyn GameRules> + Send + Sync;

/// A game the server can host: its name, its declaration (checked) and how to make the rules of a
/// new room. Cheap to clone.
///
/// ```
/// use tickstate_server::prelude::*;
///
/// #[derive(Default)]
/// struct Tag;
/// impl GameRules for Tag {
///     fn on_join(&mut self, ctx: &mut Ctx<'_>, _p: PlayerId, _r: &JoinRequest<'_>) -> Option<Spawn> {
///         let kind = ctx.schema().kind(1)?;
///         Some(Spawn::at(kind, Vec2::new(100.0, 100.0)))
///     }
/// }
/// let game = Game::new("tag", |s| { s.kind(1, "player").done(); })
///     .rules(|_handles, _room| Tag)
///     .unwrap();
/// assert_eq!(game.name(), "tag");
/// ```
#[derive(Clone)]
pub struct Game {
    schema: Arc<Schema>,
    factory: Arc<Factory>,
}

impl fmt::Debug for Game {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Game")
            .field("name", &self.schema.game())
            .finish_non_exhaustive()
    }
}

/// A game being defined: its declarations are made, the rules factory comes next.
pub struct GameBuilder<H> {
    builder: SchemaBuilder,
    handles: H,
}

impl Game {
    /// Starts a game called `name` (sent in `welcome.game` and `/rooms`; 1-32 of `a-z 0-9 _`).
    /// `declare` declares its kinds, fields, inputs, private fields, messages and events and
    /// returns the handles the rules will use.
    #[allow(clippy::new_ret_no_self)] // `Game::new(..).rules(..)` reads as one definition
    pub fn new<H>(name: &str, declare: impl FnOnce(&mut SchemaBuilder) -> H) -> GameBuilder<H> {
        let mut builder = SchemaBuilder::new(name);
        let handles = declare(&mut builder);
        GameBuilder { builder, handles }
    }

    /// The game's name.
    pub fn name(&self) -> &str {
        self.schema.game()
    }

    /// Its checked declaration.
    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    /// The rules of a new room called `room`.
    pub fn rules(&self, room: &str) -> Box<dyn GameRules> {
        (self.factory)(room)
    }
}

impl<H: Send + Sync + 'static> GameBuilder<H> {
    /// Finishes the game with the function that makes each room's rules from the handles and the
    /// room's name (so a game can have modes by room name).
    ///
    /// # Errors
    /// The first [`SchemaError`] in the declarations.
    pub fn rules<R: GameRules>(
        self,
        make: impl Fn(&H, &str) -> R + Send + Sync + 'static,
    ) -> Result<Game, SchemaError> {
        let schema = Arc::new(self.builder.build()?);
        let handles = self.handles;
        Ok(Game {
            schema,
            factory: Arc::new(move |room: &str| Box::new(make(&handles, room)) as Box<dyn GameRules>),
        })
    }
}
