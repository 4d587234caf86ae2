//! stub
use crate::format::{Emit, Error, Format, Identified, Kind, Magic};
pub struct Tar;
impl Format for Tar {
    fn name(&self) -> &'static str {
        "tar"
    }
    fn kind(&self) -> Kind {
        Kind::Archive
    }
    fn magics(&self) -> &'static [Magic] {
        &[]
    }
    fn identify(&self, _data: &[u8]) -> Option<Identified> {
        None
    }
    fn extract(&self, _data: &[u8], _id: Identified, _out: &dyn Emit) -> Result<(), Error> {
        Ok(())
    }
}
